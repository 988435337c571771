import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMailer } from '../../functions/report/adapters/mailer';
import { MailError } from '../../functions/report/errors';
import { startLocalSes } from '../support/local-aws';

/**
 * The mailer through the real SES client: to aws-ses-v2-local for what SES accepts, and to a local
 * endpoint answering SES's own query-protocol documents for what it refuses (the error cases the
 * local SES does not produce).
 */
const SENDER = 'digest@example.com';
const EMAIL = {
  to: ['ops@example.com', 'finance@example.com'],
  subject: 'Usage digest · 23 Nov',
  text: 'plain body',
  html: '<p>html body</p>',
};
const client = (endpoint: string) =>
  new SESClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // One attempt: a refusal is the answer under test, not something to retry.
    maxAttempts: 1,
  });

let ses: Awaited<ReturnType<typeof startLocalSes>>;
/** What the refusing endpoint answers next, and the form bodies it was sent. */
let reply = { status: 200, body: '' };
const requests: string[] = [];
const refusing = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    requests.push(body);
    res.writeHead(reply.status, { 'content-type': 'text/xml' });
    res.end(reply.body);
  });
});
let refusingUrl = '';

beforeAll(async () => {
  ses = await startLocalSes();
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
  refusingUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await ses.stop();
  refusing.closeAllConnections();
  await new Promise<void>((resolve) => refusing.close(() => resolve()));
});
beforeEach(async () => {
  await ses.clear();
  requests.length = 0;
});

/** SES's error document (query protocol), as it answers SendRawEmail. */
const sesError = (status: number, code: string, message: string) => ({
  status,
  body: `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
});

async function refusal(status: number, code: string, message: string): Promise<MailError> {
  reply = sesError(status, code, message);
  const error = await createMailer(client(refusingUrl), SENDER)
    .send(EMAIL)
    .then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
  expect(error).toBeInstanceOf(MailError);
  expect((error as MailError).cause).toBeInstanceOf(Error);
  return error as MailError;
}

describe('Function: createMailer', () => {
  it('sends one raw message from the sender to every recipient, and answers with its id', async () => {
    const id = await createMailer(client(ses.url), SENDER).send(EMAIL);
    const [email, ...others] = await ses.emails();
    expect(others).toEqual([]);
    expect(id).toBe(email?.messageId);
    expect(id).not.toBe('');
    expect(email).toMatchObject({ from: SENDER, subject: EMAIL.subject });
    expect(email?.destination.to.flatMap((to) => to.split(/,\s*/))).toEqual(EMAIL.to);
    expect(email?.body.text?.trim()).toBe('plain body');
    expect(email?.body.html?.trim()).toBe('<p>html body</p>');
  });

  it('names the sender as the Source of SendRawEmail', async () => {
    reply = {
      status: 200,
      body: '<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult><MessageId>m-1</MessageId></SendRawEmailResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></SendRawEmailResponse>',
    };
    expect(await createMailer(client(refusingUrl), SENDER).send(EMAIL)).toBe('m-1');
    const form = new URLSearchParams(requests[0]);
    expect(form.get('Action')).toBe('SendRawEmail');
    expect(form.get('Source')).toBe(SENDER);
    expect(Buffer.from(form.get('RawMessage.Data') ?? '', 'base64').toString('utf8')).toContain(
      `From: ${SENDER}`,
    );
  });

  it('answers an empty id when SES accepts without one', async () => {
    reply = {
      status: 200,
      body: '<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult></SendRawEmailResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></SendRawEmailResponse>',
    };
    expect(await createMailer(client(refusingUrl), SENDER).send(EMAIL)).toBe('');
  });
});

describe('Refusals, in a sentence that says what to do', () => {
  it('names the unverified identity SES names, and how to verify it', async () => {
    const error = await refusal(
      400,
      'MessageRejected',
      'Email address is not verified. The following identities failed the check in region EU-WEST-1: other@example.com',
    );
    expect(error.message).toBe(
      'SES refused the digest: other@example.com is not a verified identity in this region. Verify other@example.com in the SES console (Identities), or deploy with createSenderIdentity and click the link SES mails; in the SES sandbox every recipient must be verified too (deploy with sesSandbox) until AWS grants production access (MessageRejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: other@example.com)',
    );
  });

  it.each([
    ['no space after the colon', 'failed the check in region EU-WEST-1:other@example.com'],
    ['a line break after the identity', 'failed the check in region EU-WEST-1: other@example.com\n'],
    ['a colon before the list', 'failed the check: in region EU-WEST-1: other@example.com'],
  ])('reads the identity SES names after the last colon, with %s', async (_, tail) => {
    const error = await refusal(
      400,
      'MessageRejected',
      `Email address is not verified. The following identities ${tail}`,
    );
    expect(error.message).toMatch(
      /^SES refused the digest: other@example\.com is not a verified identity in this region\. Verify other@example\.com in/,
    );
  });

  it('gives the verification advice for a MessageRejected only', async () => {
    const error = await refusal(
      400,
      'InvalidParameterValue',
      'Domain not verified for this configuration set',
    );
    expect(error.message).toBe(
      'SES did not send the digest (InvalidParameterValue: Domain not verified for this configuration set)',
    );
  });

  it('names the sender when SES names no identity', async () => {
    const error = await refusal(400, 'MessageRejected', 'Email address is NOT VERIFIED: ');
    expect(error.message).toMatch(/^SES refused the digest: digest@example\.com is not a verified identity/);
  });

  it('passes on another rejection in the words of SES', async () => {
    const error = await refusal(400, 'MessageRejected', 'Address blacklisted.');
    expect(error.message).toBe('SES did not send the digest (MessageRejected: Address blacklisted.)');
  });

  it('says the role may not send as the sender', async () => {
    const error = await refusal(403, 'AccessDenied', 'User is not authorized to perform ses:SendRawEmail');
    expect(error.message).toBe(
      'SES refused the digest: this role may not send as digest@example.com; check the senderIdentity setting names the verified identity it belongs to (AccessDenied: User is not authorized to perform ses:SendRawEmail)',
    );
  });

  it('says rejected credentials are a matter of setup, not of SES', async () => {
    const error = await refusal(
      403,
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
    );
    expect(error.message).toBe(
      'SES did not send the digest: AWS rejected the credentials (InvalidClientTokenId): refresh them (aws sso login, or new access keys) (InvalidClientTokenId: The security token included in the request is invalid.)',
    );
  });
});
