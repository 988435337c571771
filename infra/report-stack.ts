import { App, type CfnElement, CfnResource, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ReportSettings } from './settings';
import { UsageDigest } from './usage-digest';
import { propsOfSettings } from './usage-digest-props';

export interface ReportStackProps extends StackProps {
  readonly settings: ReportSettings;
}

/** The construct's id in the app's stack; left out of logical ids (see allocateLogicalId). */
const DIGEST_ID = 'UsageDigest';

/** The app's stack: a thin wrapper that builds one UsageDigest from the settings file and `-c`. */
export class ReportStack extends Stack {
  readonly digest: UsageDigest;
  private scratch?: Stack;

  constructor(scope: Construct, id: string, props: ReportStackProps) {
    super(scope, id, props);
    this.digest = new UsageDigest(this, DIGEST_ID, propsOfSettings(props.settings));
  }

  /**
   * Deployments made before the construct existed have these resources directly on the stack.
   * Leaving the construct's id out of the path keeps their logical ids, so an upgrade updates
   * them in place instead of replacing them (a kept log group's fixed name would block that). The
   * id comes from CDK itself, for the same path on a scratch stack, not from a copy of its rule.
   */
  protected override allocateLogicalId(element: CfnElement): string {
    const path = element.node.scopes.slice(element.node.scopes.indexOf(this) + 1).map((c) => c.node.id);
    if (path[0] !== DIGEST_ID || path.length < 2) return super.allocateLogicalId(element);
    this.scratch ??= new Stack(new App({ autoSynth: false }), this.node.id);
    let scope: Construct = this.scratch;
    for (const id of path.slice(1, -1)) scope = scope.node.tryFindChild(id) ?? new Construct(scope, id);
    const leafId = path.at(-1) as string;
    const leaf =
      (scope.node.tryFindChild(leafId) as CfnElement | undefined) ??
      new CfnResource(scope, leafId, { type: 'Scratch::Path::Only' });
    return this.scratch.getLogicalId(leaf);
  }
}
