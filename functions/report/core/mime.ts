export interface MimeAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: string;
}

/** A message before the sender is set: what the report composes and the mailer sends. */
export type OutgoingEmail = Omit<MimeMessage, 'from'>;

export interface MimeMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attachments?: readonly MimeAttachment[];
}

// Base64 never contains '-' or '_', so these boundaries cannot occur inside an encoded part.
const MIXED = '----=_usage_digest_mixed';
const ALTERNATIVE = '----=_usage_digest_alt';

/**
 * A raw RFC 5322 message: text and HTML alternatives, optionally inside multipart/mixed with
 * attachments. SES adds Date and Message-ID.
 */
export function buildMimeMessage(message: MimeMessage): string {
  const alternative = [
    `Content-Type: multipart/alternative; boundary="${ALTERNATIVE}"`,
    '',
    `--${ALTERNATIVE}`,
    ...part('text/plain; charset=UTF-8', message.text),
    `--${ALTERNATIVE}`,
    ...part('text/html; charset=UTF-8', message.html),
    `--${ALTERNATIVE}--`,
  ];
  const headers = [
    `From: ${message.from}`,
    // Folded: 50 recipients would pass the 998-character line limit of RFC 5322.
    `To: ${message.to.join(',\r\n ')}`,
    `Subject: ${encodeHeader(message.subject)}`,
    'MIME-Version: 1.0',
  ];
  const attachments = message.attachments ?? [];
  if (attachments.length === 0) return `${[...headers, ...alternative].join('\r\n')}\r\n`;
  const body = [
    `Content-Type: multipart/mixed; boundary="${MIXED}"`,
    '',
    `--${MIXED}`,
    ...alternative,
    ...attachments.flatMap((a) => [
      `--${MIXED}`,
      ...part(
        `${a.contentType}; charset=UTF-8; name="${a.filename}"`,
        a.content,
        `attachment; filename="${a.filename}"`,
      ),
    ]),
    `--${MIXED}--`,
  ];
  return `${[...headers, ...body].join('\r\n')}\r\n`;
}

function part(contentType: string, content: string, disposition?: string): string[] {
  return [
    `Content-Type: ${contentType}`,
    'Content-Transfer-Encoding: base64',
    ...(disposition ? [`Content-Disposition: ${disposition}`] : []),
    '',
    ...wrap(Buffer.from(content, 'utf8').toString('base64'), 76),
  ];
}

/**
 * RFC 2047 encoded-words when the header has anything beyond printable ASCII, each under the
 * 75-character limit and never splitting a character, folded onto continuation lines.
 */
export function encodeHeader(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const words: string[] = [];
  let chunk = '';
  for (const char of value) {
    if (Buffer.byteLength(chunk + char, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join('\r\n ');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines;
}
