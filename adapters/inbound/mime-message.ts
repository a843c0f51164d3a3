import { simpleParser, type AddressObject, type HeaderValue } from 'mailparser';
import type { InboundMessage, MailAddress } from '../../domain/inbound/inbound-email';

/** What SES's receipt says about a message, beside the message itself. */
export interface Receipt {
  readonly receiptId: string;
  readonly recipients: readonly string[];
  readonly receivedAt: string;
  readonly verdicts: InboundMessage['verdicts'];
  /** The SMTP envelope's sender (SES's `mail.source`): who sent it when the message has no From header. */
  readonly envelopeFrom?: string;
}

const AUTOMATIC_HEADERS = ['auto-submitted', 'precedence', 'x-autoreply', 'x-autorespond', 'x-auto-response-suppress', 'x-failed-recipients'];

const addresses = (value: AddressObject | AddressObject[] | undefined): MailAddress[] =>
  [value ?? []].flat().flatMap((group) => group.value.flatMap((entry) => [entry, ...(entry.group ?? [])])).flatMap((entry) => (entry.address ? [{ address: entry.address, ...(entry.name ? { name: entry.name } : {}) }] : []));

const headerText = (value: HeaderValue | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.join(', ');
  if ('value' in value && typeof value.value === 'string') return value.value;
  return JSON.stringify(value);
};

/**
 * A raw RFC 5322 message, read with mailparser (nodemailer's maintained MIME parser): the
 * plain text (or the HTML's text when there is no plain part), addresses, thread ids, and
 * attachments by name and size (their content is not kept).
 */
export async function parseInboundMessage(raw: Buffer, receipt: Receipt): Promise<InboundMessage> {
  let parsed: Awaited<ReturnType<typeof simpleParser>>;
  try {
    parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  } catch (error) {
    throw new UnreadableMessageError((error as Error).message, { cause: error });
  }
  const from = addresses(parsed.from)[0] ?? (receipt.envelopeFrom ? { address: receipt.envelopeFrom } : undefined);
  const references = parsed.references === undefined ? [] : [parsed.references].flat();
  const headers = Object.fromEntries(AUTOMATIC_HEADERS.flatMap((name) => {
    const value = headerText(parsed.headers.get(name));
    return value === undefined ? [] : [[name, value]];
  }));
  return {
    receiptId: receipt.receiptId,
    ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
    ...(from ? { from } : {}),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    recipients: receipt.recipients,
    subject: parsed.subject ?? '',
    text: (parsed.text ?? (typeof parsed.html === 'string' ? parsed.html.replace(/<[^>]+>/g, ' ') : '')).trim(),
    ...(parsed.date && !Number.isNaN(parsed.date.getTime()) ? { sentAt: parsed.date.toISOString() } : {}),
    receivedAt: receipt.receivedAt,
    ...(parsed.inReplyTo ? { inReplyTo: parsed.inReplyTo } : {}),
    references,
    headers,
    attachments: parsed.attachments.map((attachment) => ({ name: attachment.filename ?? '', sizeBytes: attachment.size, ...(attachment.contentType ? { contentType: attachment.contentType } : {}) })),
    sizeBytes: raw.length,
    verdicts: receipt.verdicts,
  };
}

/** mailparser refused the message: reading it again would fail again. */
export class UnreadableMessageError extends Error {}

/** A message the parser could not read, as SES's receipt describes it (its common headers). */
export function unreadMessage(receipt: Receipt, headers: { readonly from?: readonly string[]; readonly to?: readonly string[]; readonly subject?: string; readonly messageId?: string } | undefined): InboundMessage {
  return {
    receiptId: receipt.receiptId,
    ...(headers?.from?.[0] ?? receipt.envelopeFrom ? { from: { address: headers?.from?.[0] ?? receipt.envelopeFrom! } } : {}),
    to: (headers?.to ?? []).map((address) => ({ address })),
    cc: [],
    recipients: receipt.recipients,
    subject: headers?.subject ?? '',
    text: '',
    receivedAt: receipt.receivedAt,
    references: [],
    headers: {},
    attachments: [],
    sizeBytes: 0,
    verdicts: receipt.verdicts,
  };
}
