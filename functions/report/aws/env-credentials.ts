/**
 * The bundle's stand-in for `@aws-sdk/credential-provider-node` (see infra/report-function.ts):
 * the SDK's own environment provider under the name the clients' runtime config imports. Lambda
 * puts the role's credentials in the environment, so the default chain's SSO, INI, process, web
 * identity and instance-metadata providers would only be code to load.
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
