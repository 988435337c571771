#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { compliancePlugins } from './compliance';
import { ContextError, readSettings } from './context';
import { ReportStack } from './report-stack';

const app = new App();
try {
  const settings = readSettings((key) => app.node.tryGetContext(key));
  new ReportStack(app, app.node.tryGetContext('stackName') ?? 'UsageDigest', {
    settings,
    description: 'usage-digest: a daily per-project digest of OpenAI code interpreter sessions',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(...compliancePlugins(app));
} catch (error) {
  if (error instanceof ContextError) {
    console.error(`usage-digest: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
