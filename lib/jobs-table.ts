/**
 * The jobs table (SPEC §7): one table for jobs, tenants and API keys, built
 * from `lambdas/resources.ts` so its keys, indexes and TTL attribute are the
 * ones the local twin creates and the store code queries.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { RETIRED_STATUS_INDEX, TABLE_INDEXES, TABLE_KEYS, TTL_ATTRIBUTE, type IndexDefinition } from '../lambdas/resources';

export interface JobsTableProps {
  /**
   * Refuse `DeleteTable` (even from CloudFormation) until this is turned off.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Days of point-in-time recovery (1..35); matches the job retention promise.
   * @default 7
   */
  readonly recoveryPeriodDays?: number;
  /**
   * Keep the previous status index (RETIRED_STATUS_INDEX) beside the current
   * one: the first deploy of an existing stack after the upgrade (CloudFormation
   * adds or deletes one index per update). Deploy again without it.
   * @default false
   */
  readonly keepRetiredStatusIndex?: boolean;
}

/** The item operations the store uses (lambdas/store/*): no Scan, no batch writes or transactions on AWS. */
const ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

export class JobsTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: JobsTableProps = {}) {
    super(scope, id);
    const attribute = (key: { readonly name: string; readonly type: 'S' | 'N' }): dynamodb.Attribute => ({
      name: key.name,
      type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(TABLE_KEYS.partitionKey),
      sortKey: attribute(TABLE_KEYS.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: true,
        recoveryPeriodInDays: props.recoveryPeriodDays ?? 7,
      },
      // Encrypted at rest with an AWS-owned key (the default): no KMS charges per request.
      encryption: dynamodb.TableEncryption.DEFAULT,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of props.keepRetiredStatusIndex ? [...TABLE_INDEXES, RETIRED_STATUS_INDEX] : TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...index.nonKeyAttributes],
      });
    }
  }

  /**
   * Lets `grantee` read and write items and query the base table (tenants and
   * keys live in one partition) and the given indexes, named one by one: no
   * `index/*`, no Scan, no table management. `batchRead`: BatchGetItem too (the
   * list route reads the status index's items through).
   */
  grantItemAccess(
    grantee: iam.IGrantable,
    options: { readonly queryIndexes?: readonly IndexDefinition[]; readonly batchRead?: boolean } = {},
  ): iam.Grant {
    const indexArns = (options.queryIndexes ?? []).map((index) => `${this.table.tableArn}/index/${index.indexName}`);
    const actions = options.batchRead ? [...ITEM_ACTIONS, 'dynamodb:BatchGetItem'] : ITEM_ACTIONS;
    const items = iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.table.tableArn] });
    return items.combine(
      iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.table.tableArn, ...indexArns] }),
    );
  }
}
