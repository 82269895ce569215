#!/usr/bin/env node
/** The CDK app: one stack, checked by cdk-nag's AWS Solutions rules on every synth. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackNameFromContext, stackPropsFromContext } from '../lib/deployment-context';
import { JobsServiceStack } from '../lib/jobs-service-stack';

const app = new App();
// Environment-agnostic: deploys to the account and region of the credentials in use.
new JobsServiceStack(app, stackNameFromContext(app.node), stackPropsFromContext(app.node));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
