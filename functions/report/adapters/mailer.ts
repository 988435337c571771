import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { buildMimeMessage, type OutgoingEmail } from '../core/mime';
import { awsSetupAdvice, MailError, rootCause } from '../errors';

export interface Mailer {
  /** Sends one message to all recipients; resolves with SES's message id. */
  send(email: OutgoingEmail): Promise<string>;
}

/** Sends through SES's SendRawEmail, the one call that carries a multipart body with attachments. */
export function createMailer(ses: Pick<SESClient, 'send'>, from: string): Mailer {
  return {
    async send(email) {
      const raw = buildMimeMessage({ ...email, from });
      try {
        const output = await ses.send(
          new SendRawEmailCommand({
            Source: from,
            // Stryker disable next-line ArrayDeclaration: without Destinations SES reads the same To header
            Destinations: [...email.to],
            RawMessage: { Data: new TextEncoder().encode(raw) },
          }),
        );
        return output.MessageId ?? '';
      } catch (error) {
        throw new MailError(sesAdvice(error, from), { cause: error });
      }
    },
  };
}

/** SES's refusal in a sentence that says what to do; SES's own words follow it. */
function sesAdvice(error: unknown, from: string): string {
  const root = rootCause(error);
  const said = root instanceof Error ? `${root.name}: ${root.message}` : String(root);
  const setup = awsSetupAdvice(error);
  if (setup) return `SES did not send the digest: ${setup} (${said})`;
  // Stryker disable next-line ConditionalExpression: the SDK throws Errors; the instanceof only guards anything else thrown
  if (root instanceof Error && root.name === 'MessageRejected' && /not verified/i.test(root.message)) {
    // SES names the unverified identities after "failed the check in region …:".
    // Stryker disable next-line OptionalChaining: split always gives at least one part
    const named = root.message.split(/:\s*/).slice(-1)[0]?.trim() || from;
    return `SES refused the digest: ${named} is not a verified identity in this region. Verify ${named} in the SES console (Identities), or deploy with createSenderIdentity and click the link SES mails; in the SES sandbox every recipient must be verified too (deploy with sesSandbox) until AWS grants production access (${said})`;
  }
  if (root instanceof Error && /AccessDenied/.test(root.name)) {
    return `SES refused the digest: this role may not send as ${from}; check the senderIdentity setting names the verified identity it belongs to (${said})`;
  }
  return `SES did not send the digest (${said})`;
}
