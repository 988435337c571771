#!/usr/bin/env node
/**
 * The CDK app: reads the deployment's settings (usage-digest.config.json, then `-c` overrides) and
 * builds the stack. Settings errors end the synth with a message naming the key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Annotations, App, Stack, Validations } from 'aws-cdk-lib';
import { compliancePlugins } from './compliance';
import { ReportStack } from './report-stack';
import { loadSettings, missingMessage, missingSettings, SETTINGS_FILE, SettingsError } from './settings';

const app = new App();
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
try {
  const fileName = String(app.node.tryGetContext('config') ?? SETTINGS_FILE);
  const file = readSettingsFile(fileName);
  const context = app.node.getAllContext();
  const missing = missingSettings({ file, fileName, context });
  if (missing.length) {
    // `cdk bootstrap` synthesizes the app only to learn its account and region: a stack that
    // carries the error lets it do that, while synth, diff and deploy stop on the error.
    const stackName = String(
      context.stackName ?? (file as { stackName?: string })?.stackName ?? 'UsageDigest',
    );
    const placeholder = new Stack(app, stackName, { env });
    Annotations.of(placeholder).addError(missingMessage(missing, fileName));
  } else {
    const settings = loadSettings({ file, fileName, context });
    new ReportStack(app, settings.stackName, {
      settings,
      description: 'usage-digest: a daily per-project digest of OpenAI code interpreter sessions',
      env,
    });
    Validations.of(app).addPlugins(...compliancePlugins(app));
  }
} catch (error) {
  if (error instanceof SettingsError) {
    console.error(`usage-digest: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

/** The settings file's JSON, or undefined when there is none (every key may come from `-c`). */
function readSettingsFile(fileName: string): unknown {
  const path = resolve(fileName);
  if (!existsSync(path)) {
    if (fileName !== SETTINGS_FILE) throw new SettingsError(`${fileName}: no such settings file`);
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SettingsError(`${fileName} is not valid JSON: ${(error as Error).message}`);
  }
}
