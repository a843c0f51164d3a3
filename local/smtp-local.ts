import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SESEvent } from 'aws-lambda';
import { SMTPServer } from 'smtp-server';
import { functionsTriggeredBy } from '../functions/manifest';
import { LOCAL_ACCOUNT_ID } from './http-api-event';
import { createLambdaContext } from './lambda-context';
import { createHandlerLoader, withTimeout } from './lambda-handlers';
import { LOCAL_REGION } from './local-arns';
import { LOCAL_INBOUND_MAIL_BUCKET } from './s3-local';

/**
 * Locally, plays SES receiving for the inbound domain: an SMTP server that takes mail for
 * addresses at the domain (others are refused, 550, as SES's receipt rule would leave them),
 * stores each raw message in the local S3 bucket under the prefix the stack uses (SES's S3
 * action), then invokes the inbound email function with the receipt SES would send (its
 * Lambda action), retried twice as Lambda retries an asynchronous invocation. Unlike SES it
 * answers the SMTP client only once the function is done, so a script that sends a reply
 * can look at the result right after. SES's spam and virus scan does not exist here: the
 * verdicts are PASS unless the message carries the `X-SES-Spam-Verdict` or
 * `X-SES-Virus-Verdict` header SES adds to what it stores.
 */

/** The inbound domain locally (INBOUND_EMAIL_DOMAIN). */
export const LOCAL_INBOUND_DOMAIN = 'inbound.example.com';
const PREFIX = 'inbound/';
const HANDLER_RETRIES = 2;
/** SES receiving takes messages of up to 40 MB. */
const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface SmtpLocal {
  readonly port: number;
  stop(): Promise<void>;
}

/** A verdict header in the message's header section (not a line of its body that quotes one). */
const verdictOf = (raw: string, header: string) => {
  const end = raw.search(/\r?\n\r?\n/);
  return new RegExp(`^${header}:\\s*(\\w+)`, 'im').exec(raw.slice(0, end === -1 ? raw.length : end))?.[1]?.toUpperCase() ?? 'PASS';
};

export async function startSmtpLocal({ port, s3Endpoint, domain = LOCAL_INBOUND_DOMAIN }: { port: number; s3Endpoint: string; domain?: string }): Promise<SmtpLocal> {
  const s3 = new S3Client({ region: LOCAL_REGION, endpoint: s3Endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const [receiving] = functionsTriggeredBy('inboundEmail');
  if (!receiving) throw new Error('functions/manifest.ts declares no inboundEmail function');
  const [name, receiver] = receiving;
  const loadHandler = createHandlerLoader(REPOSITORY_ROOT);

  async function receive(raw: Buffer, from: string, recipients: string[]): Promise<void> {
    // SES's message ids are 20 to 40 lower-case letters and digits.
    const receiptId = randomBytes(16).toString('hex');
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_INBOUND_MAIL_BUCKET, Key: `${PREFIX}${receiptId}`, Body: raw }));
    const text = raw.toString('utf8');
    const now = new Date().toISOString();
    const event = {
      Records: [
        {
          eventSource: 'aws:ses',
          eventVersion: '1.0',
          ses: {
            mail: { timestamp: now, source: from, messageId: receiptId, destination: recipients, headersTruncated: false, headers: [], commonHeaders: { returnPath: from, from: [from], to: recipients, messageId: receiptId, subject: '' } },
            receipt: {
              timestamp: now,
              processingTimeMillis: 0,
              recipients,
              spamVerdict: { status: verdictOf(text, 'X-SES-Spam-Verdict') },
              virusVerdict: { status: verdictOf(text, 'X-SES-Virus-Verdict') },
              spfVerdict: { status: 'GRAY' },
              dkimVerdict: { status: 'GRAY' },
              dmarcVerdict: { status: 'GRAY' },
              dmarcPolicy: 'none',
              action: { type: 'Lambda', functionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`, invocationType: 'Event' },
            },
          },
        },
      ],
    } as unknown as SESEvent;
    let lastError: unknown;
    for (let attempt = 0; attempt <= HANDLER_RETRIES; attempt++) {
      try {
        const handler = await loadHandler(receiver.entry);
        await withTimeout(receiver.timeoutSeconds, async () => handler(structuredClone(event), createLambdaContext({ functionName: name, memoryMb: receiver.memoryMb, timeoutSeconds: receiver.timeoutSeconds })));
        return;
      } catch (error) {
        lastError = error;
      }
    }
    console.error(`[smtp] ${name} gave up on message ${receiptId} after ${HANDLER_RETRIES + 1} attempts: ${String(lastError)}`);
  }

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    banner: 'CRM local SES receiving',
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!address.address.toLowerCase().endsWith(`@${domain}`)) return callback(Object.assign(new Error(`Mailbox unavailable: this server receives mail for @${domain} only`), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        receive(Buffer.concat(chunks), from, session.envelope.rcptTo.map((recipient) => recipient.address)).then(() => callback(), (error: Error) => callback(error));
      });
    },
  });
  const listening = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
  });
  return { port: listening, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
