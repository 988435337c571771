// The README's example: usage-digest inside another CDK app, as a construct from the package.
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { UsageDigest } from 'usage-digest';

const app = new App();
const stack = new Stack(app, 'PlatformReports', { env: { account: '123456789012', region: 'eu-west-1' } });
const digest = new UsageDigest(stack, 'CodeInterpreterDigest', {
  sender: 'reports@example.com',
  recipients: ['platform@example.com'],
  timeZone: 'Europe/Berlin',
  digests: ['daily', 'weekly'],
  slack: { webhookSecretName: 'usage-digest/slack' },
  routes: [{ name: 'payments', projectIds: ['proj_abc'], recipients: ['payments@example.com'] }],
});
new CfnOutput(stack, 'DigestFunction', { value: digest.reportFunction.functionName });
app.synth();
