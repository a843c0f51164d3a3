import { createHash } from 'node:crypto';
import { normalizeEmail, outranks } from '../email/email-message';
import { findEmailByProviderId, findEmailMessage, updateEmailMessage } from '../email/email-message-items';
import { findOwner } from '../owners/owners';
import { activityModel } from '../records/activity';
import { contactModel } from '../records/contact';
import { createRecord } from '../records/create-record';
import { findByUniqueValue } from '../records/get-record';
import type { RecordDependencies } from '../records/record-dependencies';
import { itemToRecord } from '../records/record-items';
import type { CrmRecord } from '../records/record-model';
import { stopEnrollmentsOfContacts } from '../sequences/enrollments';
import type { Actor } from '../shared/actor';
import { withDerivedIds } from '../shared/dependencies';
import { AlreadyExistsError } from '../shared/errors';
import { zodIssues } from '../shared/zod-issues';
import { recordKeys, recordQueries } from '../shared/keys';
import { findUserOfToken, logAddressToken } from './inbound-addresses';
import { emailIdOfReplyAddress } from './reply-address';
import { keepUnmatched } from './unmatched-inbound';

/**
 * Mail the CRM receives (SES receiving on the stage's inbound domain, docs/integrations.md):
 * replies to the mail it sent, and what users copy to their logging address. Each becomes an
 * `email` activity on the contacts it is with, their companies and open deals; a reply to a
 * CRM email marks that email `replied` and stops the contact's sequences. Nothing here makes
 * contacts: mail from unknown senders is kept for review instead. Receiving the same message
 * twice (SES retries its Lambda action) changes nothing the second time.
 */

export interface MailAddress {
  readonly address: string;
  readonly name?: string;
}

/** A received message as the MIME parser read it (adapters/inbound/), with SES's verdicts. */
export interface InboundMessage {
  /** SES's id of the received message: the raw message's object key in the bucket. */
  readonly receiptId: string;
  readonly messageId?: string;
  readonly from?: MailAddress;
  readonly to: readonly MailAddress[];
  readonly cc: readonly MailAddress[];
  /** Whom SES received it for (the SMTP envelope): a BCC'd address shows only here. */
  readonly recipients: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** The Date header, when it parses. */
  readonly sentAt?: string;
  readonly receivedAt: string;
  readonly inReplyTo?: string;
  readonly references: readonly string[];
  /** The headers that tell an automatic message, by lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  readonly attachments: readonly { readonly name: string; readonly sizeBytes: number; readonly contentType?: string }[];
  readonly sizeBytes: number;
  /** SES's spam and virus verdicts: PASS, FAIL, GRAY, PROCESSING_FAILED or DISABLED. */
  readonly verdicts: { readonly spam: string; readonly virus: string };
}

export interface InboundSettings {
  /** The stage's receiving domain (email.inbound.domain): replies and logging addresses are at it. */
  readonly domain: string;
}

export type InboundOutcome =
  | { readonly outcome: 'rejected'; readonly reason: string }
  | { readonly outcome: 'unmatched'; readonly id: string; readonly reason: string }
  | {
      readonly outcome: 'logged';
      readonly activityId: string;
      readonly contactIds: readonly string[];
      readonly autoReply: boolean;
      /** The CRM email this replied to, when it was a reply (not an automatic one) from its recipient. */
      readonly repliedTo?: string;
      readonly stoppedEnrollments: number;
    };

/**
 * Larger messages (SES takes up to 40 MB) are logged without their text: addresses, subject
 * and attachments only. Mail with an ordinary attachment keeps its words.
 */
export const MAX_BODY_MESSAGE_BYTES = 25 * 1024 * 1024;
const MAX_TEXT = 20_000;
const MAX_CONTACTS = 10;
const MAX_LINKS = 30;

const INBOUND: Actor = { type: 'system', id: 'inbound-email', role: 'admin' };

/**
 * An automatic message is no reply (RFC 3834's Auto-Submitted, and the headers and subjects
 * of out-of-office answers and bounces that predate it): it is logged, but stops nothing.
 */
export function isAutomatic(message: Pick<InboundMessage, 'headers' | 'subject' | 'from'>): boolean {
  const header = (name: string) => message.headers[name]?.trim().toLowerCase();
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return true;
  if (header('x-autoreply') !== undefined || header('x-autorespond') !== undefined || header('x-failed-recipients') !== undefined) return true;
  if (['auto_reply', 'bulk', 'junk', 'list'].includes(header('precedence') ?? '')) return true;
  if (/\b(oof|all|autoreply)\b/.test(header('x-auto-response-suppress') ?? '')) return true;
  if (/^(mailer-daemon|postmaster)@/i.test(message.from?.address ?? '')) return true;
  return /^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesend|absence|r[ée]ponse automatique)\b/i.test(message.subject);
}

/** How many of a thread's Message-IDs are looked up: In-Reply-To and the latest References (a reply names what it answers last). */
const MAX_THREAD_IDS = 10;

/** The SES ids a reply's In-Reply-To and References name (`<id>@<region>.amazonses.com`), the most recent first. */
function sesIdsOf(message: Pick<InboundMessage, 'inReplyTo' | 'references'>): string[] {
  return [message.inReplyTo, ...message.references.slice(-MAX_THREAD_IDS).reverse()]
    .flatMap((value) => (value ? [...value.matchAll(/<?([^<>\s@]+)@([^<>\s]+)>?/g)] : []))
    .filter((match) => /(^|\.)amazonses\.com$/i.test(match[2]!))
    .map((match) => match[1]!)
    .slice(0, MAX_THREAD_IDS);
}

export async function receiveInboundEmail(deps: RecordDependencies, message: InboundMessage, settings: InboundSettings): Promise<InboundOutcome> {
  if (message.verdicts.virus === 'FAIL') return { outcome: 'rejected', reason: 'SES found a virus' };
  if (message.verdicts.spam === 'FAIL') return { outcome: 'rejected', reason: 'SES judged it spam' };
  const domain = settings.domain.toLowerCase();
  const atDomain = (address: string) => normalizeEmail(address).endsWith(`@${domain}`);

  const token = message.recipients.map((recipient) => logAddressToken(recipient, domain)).find((found) => found !== undefined);
  if (token !== undefined) return logForUser(deps, message, token, atDomain);

  const sender = message.from ? normalizeEmail(message.from.address) : undefined;
  const contact = sender ? await findByUniqueValue(deps, contactModel, sender) : undefined;
  if (!contact) return keepUnmatched(deps, message, 'no contact has the sender address');

  const automatic = isAutomatic(message);
  const repliedTo = automatic ? undefined : await threadOf(deps, message, contact, domain);
  const activityId = await logActivity(deps, message, [contact], 'inbound', (contact.ownerId as string | undefined) ?? undefined, automatic, INBOUND);
  if (typeof activityId !== 'string') return keepUnmatched(deps, message, activityId.refused);
  let stoppedEnrollments = 0;
  if (repliedTo) {
    await updateEmailMessage(deps, repliedTo, (current) => (outranks('replied', current.status) ? { status: 'replied' } : undefined));
    const actor: Actor = { ...INBOUND, onBehalfOf: `contact:${contact.id}` };
    stoppedEnrollments = (await stopEnrollmentsOfContacts(deps, [contact.id], 'replied', actor, { enrolledBy: message.receivedAt })).length;
  }
  return { outcome: 'logged', activityId, contactIds: [contact.id], autoReply: automatic, ...(repliedTo ? { repliedTo } : {}), stoppedEnrollments };
}

/**
 * The CRM email a message answers, if its sender is that email's recipient: named by
 * In-Reply-To or References (SES's Message-ID), or by the `reply+<id>` address it was sent
 * to. A message from someone else in the thread is logged, and counts as no reply.
 */
async function threadOf(deps: RecordDependencies, message: InboundMessage, contact: CrmRecord, domain: string): Promise<string | undefined> {
  const candidates = [];
  for (const sesId of sesIdsOf(message)) candidates.push(await findEmailByProviderId(deps.table, sesId));
  for (const recipient of message.recipients) {
    const id = emailIdOfReplyAddress(recipient, domain);
    // Ids are upper case; a server on the way may have lower-cased the address.
    if (id) for (const candidate of new Set([id, id.toUpperCase()])) candidates.push(await findEmailMessage(deps.table, candidate));
  }
  return candidates.find((email) => email && email.contactId === contact.id)?.id;
}

/** Mail a user sent or received, copied to their logging address: logged on the contacts among its other addresses, as theirs. */
async function logForUser(deps: RecordDependencies, message: InboundMessage, token: string, atDomain: (address: string) => boolean): Promise<InboundOutcome> {
  const userId = await findUserOfToken(deps.table, token);
  // Kept for review, not dropped: the user learns that mail reached an old address, or someone else's did.
  if (!userId) return keepUnmatched(deps, message, 'sent to a logging address that is no (longer a) user’s: rotated, or mistyped');
  const owner = await findOwner(deps.table, userId);
  // The secret in the address is one proof; the other is that the user sent it.
  if (!owner?.email || !message.from || normalizeEmail(message.from.address) !== normalizeEmail(owner.email)) {
    return keepUnmatched(deps, message, owner?.email ? `sent to ${userId}'s logging address from another address than theirs (${owner.email})` : `sent to ${userId}'s logging address, who has no email yet to send from`);
  }
  const others = [...new Set([...message.to, ...message.cc].map((entry) => normalizeEmail(entry.address)))].filter((address) => !atDomain(address) && address !== normalizeEmail(owner.email!));
  const contacts: CrmRecord[] = [];
  for (const address of others.slice(0, 50)) {
    const found = await findByUniqueValue(deps, contactModel, address);
    if (found) contacts.push(found);
  }
  if (contacts.length === 0) return keepUnmatched(deps, message, 'no contact among its recipients');
  const logged = contacts.slice(0, MAX_CONTACTS);
  const automatic = isAutomatic(message);
  const activityId = await logActivity(deps, message, logged, 'outbound', userId, automatic, { ...INBOUND, onBehalfOf: userId });
  if (typeof activityId !== 'string') return keepUnmatched(deps, message, activityId.refused);
  return { outcome: 'logged', activityId, contactIds: logged.map((contact) => contact.id), autoReply: automatic, stoppedEnrollments: 0 };
}

/** The open deals of a contact (its deal links, then the deals). */
async function openDealsOf(deps: RecordDependencies, contactId: string): Promise<string[]> {
  const { items } = await deps.table.query(recordQueries.linkedRecords('contact', contactId, 'deal'), { limit: MAX_LINKS });
  const deals = await deps.table.getItems(items.map((link) => recordKeys.record('deal', recordKeys.linkedIdOf(link.sk))));
  return deals.map(itemToRecord).flatMap((deal) => (deal && deal.status === 'open' ? [deal.id] : []));
}

/**
 * The email activity of a message, with an id derived from it: logging it again finds the
 * first. What the schema still refuses after cleaning is answered, for the message to be
 * kept for review rather than retried for ever.
 */
async function logActivity(deps: RecordDependencies, message: InboundMessage, contacts: readonly CrmRecord[], direction: 'inbound' | 'outbound', ownerId: string | undefined, automatic: boolean, actor: Actor): Promise<string | { readonly refused: string }> {
  const companyIds = [...new Set(contacts.flatMap((contact) => (contact.companyIds as string[] | undefined) ?? []))];
  const dealIds = [...new Set((await Promise.all(contacts.map((contact) => openDealsOf(deps, contact.id)))).flat())];
  const room = MAX_LINKS - contacts.length;
  const keptCompanies = companyIds.slice(0, Math.min(companyIds.length, Math.ceil(room / 2)));
  const keptDeals = dealIds.slice(0, room - keptCompanies.length);
  const omitted = message.sizeBytes > MAX_BODY_MESSAGE_BYTES;
  const text = omitted ? `(The message is ${(message.sizeBytes / 1024 / 1024).toFixed(1)} MB, over the ${MAX_BODY_MESSAGE_BYTES / 1024 / 1024} MB up to which the CRM keeps the text of mail.)` : clean(message.text, MAX_TEXT);
  const address = (entry: MailAddress) => clean(entry.address, 320, { oneLine: true });
  const addresses = (entries: readonly MailAddress[]) => entries.map(address).filter((value) => value.length >= 3).slice(0, 50);
  const id = messageKey('inbound', message);
  const cc = addresses(message.cc);
  const references = message.references.slice(-20).map((reference) => clean(reference, 998, { oneLine: true })).filter(Boolean);
  const input = {
    kind: 'email',
    direction,
    subject: clean(message.subject, 300, { oneLine: true }) || '(no subject)',
    body: text,
    // When the CRM received it: a Date header counts seconds only, and would sort a quick reply before what it answers.
    occurredAt: message.receivedAt,
    contactIds: contacts.map((contact) => contact.id),
    companyIds: keptCompanies,
    dealIds: keptDeals,
    ...(ownerId ? { ownerId } : {}),
    email: {
      from: message.from ? address(message.from) || '(unknown)' : '(unknown)',
      to: addresses(message.to),
      ...(cc.length ? { cc } : {}),
      ...(message.messageId ? { messageId: clean(message.messageId, 998, { oneLine: true }) || '(none)' } : {}),
      ...(message.inReplyTo ? { inReplyTo: clean(message.inReplyTo, 998, { oneLine: true }) || '(none)' } : {}),
      ...(references.length ? { references } : {}),
      ...(message.attachments.length
        ? { attachments: message.attachments.slice(0, 50).map((file) => ({ name: clean(file.name, 255, { oneLine: true }) || '(unnamed)', sizeBytes: file.sizeBytes, ...(file.contentType && clean(file.contentType, 255, { oneLine: true }) ? { contentType: clean(file.contentType, 255, { oneLine: true }) } : {}) })) }
        : {}),
      ...(automatic ? { autoReply: true } : {}),
      ...(omitted ? { bodyOmitted: true as const } : {}),
    },
  };
  // What the API would refuse is not written from mail either: the activity is held to the same schema.
  const checked = activityModel.createSchema.safeParse(input);
  if (!checked.success) return { refused: `could not be logged: ${zodIssues(checked.error, 'activity').issues.map((issue) => `${issue.field} ${issue.message}`).join('; ')}` };
  try {
    const activity = await createRecord(withDerivedIds(deps, (n) => (n === 0 ? id : `${id}${n}`)), activityModel, checked.data as Record<string, unknown>, actor);
    return activity.id;
  } catch (error) {
    if (error instanceof AlreadyExistsError) return id;
    throw error;
  }
}

/**
 * What names a message for de-duplication: its Message-ID (a sender that delivers it twice, or
 * to two of the CRM's addresses, sends one message), else SES's id of what it received.
 */
export const messageKey = (purpose: string, message: Pick<InboundMessage, 'messageId' | 'receiptId'>) =>
  createHash('sha256').update(`${purpose}:${message.messageId ? `mid:${message.messageId.trim().toLowerCase()}` : `ses:${message.receiptId}`}`).digest('base64url').slice(0, 26);

/**
 * Text from mail as the API would take it: no control characters (tabs and line breaks stay,
 * unless `oneLine`), no lone UTF-16 surrogates, trimmed, at most `max` UTF-16 units without
 * cutting a character in two.
 */
export function clean(text: string, max: number, { oneLine = false }: { readonly oneLine?: boolean } = {}): string {
  const lines = oneLine ? text.replace(/[\r\n\t]+/g, ' ') : text;
  const valid = lines.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD').trim();
  if (valid.length <= max) return valid;
  const cut = valid.slice(0, max - 1);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}
