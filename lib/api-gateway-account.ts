/**
 * API Gateway's account-level setting that lets stages write logs to
 * CloudWatch: one IAM role per account and region, named in
 * `AWS::ApiGateway::Account`. Where nobody ever set it, creating a stage with
 * access logs fails ("CloudWatch Logs role ARN must be set in account settings
 * to enable logging"), so a first deploy in a fresh account or region needs it.
 *
 * It is account-wide, not this stack's: other APIs in the account log through
 * the same role. So both the setting and the role survive stack deletion (a
 * deleted role would silently stop every API's logging in the region).
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/** The AWS managed policy API Gateway documents for this role. */
export const PUSH_TO_CLOUDWATCH_LOGS_POLICY = 'service-role/AmazonAPIGatewayPushToCloudWatchLogs';

export class ApiGatewayAccount extends Construct {
  public readonly role: iam.Role;
  public readonly account: apigateway.CfnAccount;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new iam.Role(this, 'CloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway (account-wide, this region): writes access and execution logs to CloudWatch Logs',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(PUSH_TO_CLOUDWATCH_LOGS_POLICY)],
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.account = new apigateway.CfnAccount(this, 'Resource', { cloudWatchRoleArn: this.role.roleArn });
    this.account.applyRemovalPolicy(RemovalPolicy.RETAIN);

    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${PUSH_TO_CLOUDWATCH_LOGS_POLICY}]`,
      reason:
        'API Gateway documents this AWS managed policy for its account-level CloudWatch role: the role serves every API in the account and region, whose log groups this stack cannot name, and AWS keeps the policy in step with what API Gateway needs.',
    });
  }

  /** Makes `dependent` (a stage that logs) wait for the account setting, so a first deploy creates them in order. */
  orderBefore(dependent: IConstruct): void {
    dependent.node.addDependency(this.account);
  }
}
