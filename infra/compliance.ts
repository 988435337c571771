import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationPlugin } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';

/**
 * AWS Control Tower proactive controls left off, each with the reason; the README repeats them.
 * Every other bundled control runs at synth and must pass.
 */
export const DISABLED_CONTROL_TOWER_RULES: Readonly<Record<string, string>> = {
  // CT.LAMBDA.PR.3: the function only calls the OpenAI API and AWS APIs over HTTPS. In a VPC it
  // would need a NAT gateway (about $32 a month and an hourly data charge) or one interface
  // endpoint per AWS service, for no data that is not already TLS-protected and IAM-scoped.
  'ct-lambda-pr-3': 'A VPC would need a NAT gateway to reach the OpenAI API, for nothing gained.',
};

/** The checks `cdk synth` runs on the app: cdk-nag's AwsSolutions and Control Tower's controls (cfn-guard). */
export function compliancePlugins(app: Construct): IPolicyValidationPlugin[] {
  return [
    new AwsSolutionsChecks(app),
    new CfnGuardValidator({ disabledRules: Object.keys(DISABLED_CONTROL_TOWER_RULES) }),
  ];
}
