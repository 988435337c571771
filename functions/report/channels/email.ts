import type { Mailer } from '../adapters/mailer';
import type { OutgoingEmail } from '../core/mime';
import { digestMessage, renderDigest } from '../core/render';
import type { Channel } from './channel';

/** The email: HTML and text (and the CSV when the list is long) to the recipients, through SES. */
export function createEmailChannel(mailer: Mailer, recipients: readonly string[]): Channel<OutgoingEmail> {
  return {
    name: 'email',
    render: ({ report, timeZone, trend, notes }) =>
      digestMessage(renderDigest(report, timeZone, trend, notes), recipients),
    send: (email) => mailer.send(email),
  };
}
