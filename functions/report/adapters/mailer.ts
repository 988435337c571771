import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { buildMimeMessage, type OutgoingEmail } from '../core/mime';

export interface Mailer {
  /** Sends one message to all recipients; resolves with SES's message id. */
  send(email: OutgoingEmail): Promise<string>;
}

/** Sends through SES's SendRawEmail, the one call that carries a multipart body with attachments. */
export function createMailer(ses: Pick<SESClient, 'send'>, from: string): Mailer {
  return {
    async send(email) {
      const raw = buildMimeMessage({ ...email, from });
      const output = await ses.send(
        new SendRawEmailCommand({
          Source: from,
          // Stryker disable next-line ArrayDeclaration: without Destinations SES reads the same To header
          Destinations: [...email.to],
          RawMessage: { Data: new TextEncoder().encode(raw) },
        }),
      );
      return output.MessageId ?? '';
    },
  };
}
