import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import { NotFoundError } from '../shared/errors';
import { unmatchedInboundEmails, unmatchedInboundKey } from '../shared/keys';
import type { Page, PageRequest } from '../shared/page';
import { listPage } from '../shared/pagination';
import type { Item } from '../shared/table-port';
import * as z from '../shared/zod';
import { messageKey, type InboundMessage, type InboundOutcome } from './inbound-email';
import { storedValue } from '../shared/stored-item';

/**
 * Mail the CRM could not put on any contact (an unknown sender, or a logged message with no
 * contact among its recipients): kept for review for UNMATCHED_RETENTION_DAYS, never turned
 * into contacts by itself. Managers list and dismiss them; whoever knows the sender creates
 * the contact, and the next message from them is logged.
 */

export const UNMATCHED_RETENTION_DAYS = 30;
const SNIPPET = 1_000;

export interface UnmatchedInboundEmail {
  readonly id: string;
  readonly from?: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly subject: string;
  readonly snippet: string;
  readonly attachments: readonly { readonly name: string; readonly sizeBytes: number }[];
  readonly reason: string;
  readonly receivedAt: string;
  /** SES's id of the raw message (its object in the inbound bucket, which expires too). */
  readonly receiptId: string;
}

export const unmatchedInboundSchema = z
  .object({
    id: z.string(),
    from: z.optional(z.string()),
    to: z.array(z.string()),
    cc: z.array(z.string()),
    subject: z.string(),
    snippet: z.string().check(z.meta({ description: `The first ${SNIPPET} characters of the text.` })),
    attachments: z.array(z.object({ name: z.string(), sizeBytes: z.int() })),
    reason: z.string(),
    receivedAt: z.string(),
    receiptId: z.string(),
  })
  .check(z.meta({ id: 'UnmatchedInboundEmail' }));

const toItem = (email: UnmatchedInboundEmail): Item => ({
  ...unmatchedInboundKey(email.id),
  entity: 'unmatchedInboundEmail',
  ...email,
  ...unmatchedInboundEmails.attributes(undefined, { receivedAt: email.receivedAt, id: email.id }),
  expiresAt: Math.floor(Date.parse(email.receivedAt) / 1000) + UNMATCHED_RETENTION_DAYS * 86_400,
});
const fromItem = (item: Item): UnmatchedInboundEmail | undefined => {
  // DynamoDB's TTL deletes within days of expiry, not at once: an expired one is gone already.
  if (typeof item.expiresAt === 'number' && item.expiresAt * 1000 < Date.now()) return undefined;
  return storedValue<UnmatchedInboundEmail>(item);
};

/** Keeps a message for review; the same message kept again is the same item. */
export async function keepUnmatched(deps: Pick<CoreDependencies, 'table'>, message: InboundMessage, reason: string): Promise<InboundOutcome> {
  const id = messageKey('unmatched', message);
  const email: UnmatchedInboundEmail = {
    id,
    ...(message.from ? { from: message.from.address } : {}),
    to: message.to.map((entry) => entry.address).slice(0, 50),
    cc: message.cc.map((entry) => entry.address).slice(0, 50),
    subject: message.subject.slice(0, 300),
    snippet: message.text.slice(0, SNIPPET),
    attachments: message.attachments.slice(0, 50).map(({ name, sizeBytes }) => ({ name: name.slice(0, 255), sizeBytes })),
    reason,
    receivedAt: message.receivedAt,
    receiptId: message.receiptId,
  };
  await deps.table.putItems([toItem(email)]);
  return { outcome: 'unmatched', id, reason };
}

/** Reviewing mail nobody is known for is a manager's job: it may be anyone's. */
const REVIEW = 'changeAnyRecord' as const;

export async function listUnmatchedInboundEmails(deps: Pick<CoreDependencies, 'table'>, page: PageRequest, actor: Actor): Promise<Page<UnmatchedInboundEmail>> {
  requireCapability(actor, REVIEW, 'review unmatched inbound email');
  return listPage(deps.table, unmatchedInboundEmails.query(undefined), page, fromItem);
}

export async function dismissUnmatchedInboundEmail(deps: Pick<CoreDependencies, 'table'>, id: string, actor: Actor): Promise<void> {
  requireCapability(actor, REVIEW, 'dismiss unmatched inbound email');
  const item = await deps.table.getItem(unmatchedInboundKey(id));
  if (!item || !fromItem(item)) throw new NotFoundError('unmatched inbound email', id);
  await deps.table.deleteItems([unmatchedInboundKey(id)]);
}
