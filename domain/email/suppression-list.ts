import { requireCapability } from '../access/permissions';
import { createHash } from 'node:crypto';
import { auditEntryItem, auditEntryOf, auditOp } from '../audit/audit-entries';
import type { Page } from '../shared/page';
import type { Actor } from '../shared/actor';
import { ConflictError, NotFoundError } from '../shared/errors';
import { auditQueries, emailSuppressionKey, suppressions } from '../shared/keys';
import type { PageRequest } from '../shared/page';
import { forEachQueryPage, listPage } from '../shared/pagination';
import type { CoreDependencies } from '../shared/dependencies';
import type { CrmTablePort, Item, WriteOp } from '../shared/table-port';
import { normalizeEmail } from './email-message';
import type { EmailSuppression, SuppressionReason } from './suppression';

type SuppressionDependencies = CoreDependencies;

function toItem(suppression: EmailSuppression): Item {
  return { ...emailSuppressionKey(suppression.email), entity: 'emailSuppression', ...suppression, ...suppressions.attributes(undefined, suppression) };
}

function fromItem(item: Item): EmailSuppression {
  const { email, reason, since, detail } = item as unknown as EmailSuppression;
  return { email, reason, since, ...(detail ? { detail } : {}) };
}

/**
 * How the suppression of an erased person is kept: a SHA-256 of the normalized address, never
 * the address. It still stops mail to them (findSuppression matches it), which is why it is
 * kept at all; the list shows it as `sha256:<hex>`.
 */
export const hashedAddress = (address: string): string => `sha256:${createHash('sha256').update(normalizeEmail(address)).digest('hex')}`;

/** The address's suppression, kept under the address or (the person erased since) under its hash: one BatchGetItem. */
export async function findSuppression(table: CrmTablePort, address: string): Promise<EmailSuppression | undefined> {
  const [plainKey, hashedKey] = [emailSuppressionKey(normalizeEmail(address)), emailSuppressionKey(hashedAddress(address))];
  const items = await table.getItems([plainKey, hashedKey]);
  const item = items.find((candidate) => candidate.pk === plainKey.pk) ?? items.find((candidate) => candidate.pk === hashedKey.pk);
  return item ? fromItem(item) : undefined;
}

/**
 * Erasing a person: their suppression entry, if any, moves from the address to its hash (put
 * first, so they are never unsuppressed for a moment), and so do the audit entries about the
 * address's suppression (added, removed), which name it. Idempotent: what was moved already
 * is found under the hash and written again as it is.
 */
export async function pseudonymizeSuppression(table: CrmTablePort, address: string): Promise<void> {
  const hashed = hashedAddress(address);
  const plainKey = emailSuppressionKey(normalizeEmail(address));
  const hashedKey = emailSuppressionKey(hashed);
  const items = await table.getItems([plainKey, hashedKey]);
  const plain = items.find((candidate) => candidate.pk === plainKey.pk);
  if (plain) {
    // The first reason stays, as for any suppression: one kept from an earlier erasure wins.
    const { reason, since, detail } = fromItem(plain);
    if (!items.some((candidate) => candidate.pk === hashedKey.pk)) await table.putItems([toItem({ email: hashed, reason, since, ...(detail ? { detail } : {}) })]);
    await table.deleteItems([plainKey]);
  }
  await forEachQueryPage(table, auditQueries.ofRecord('suppression', normalizeEmail(address)), 100, async (items) => {
    await table.putItems(items.map((entry) => auditEntryItem({ ...auditEntryOf(entry), recordId: hashed })));
    await table.deleteItems(items.map(({ pk, sk }) => ({ pk, sk })));
  });
}

/**
 * The put that suppresses an address unless it already is: the first reason stays,
 * so a later manual entry cannot hide that an address hard-bounced.
 */
export function suppressionOp(address: string, reason: SuppressionReason, since: string, detail?: string): WriteOp {
  const suppression: EmailSuppression = { email: normalizeEmail(address), reason, since, ...(detail ? { detail } : {}) };
  return { op: 'put', item: toItem(suppression), condition: { kind: 'absent' }, onConditionFailed: () => new ConflictError(`${suppression.email} is already suppressed.`) };
}

/** Suppresses addresses for SES feedback; already suppressed ones are left as they are. */
export async function suppressAddresses(deps: Pick<SuppressionDependencies, 'table'>, addresses: readonly string[], reason: SuppressionReason, at: string, detail: string): Promise<string[]> {
  const added: string[] = [];
  for (const address of new Set(addresses.map(normalizeEmail))) {
    try {
      await deps.table.transactWrite([suppressionOp(address, reason, at, detail)]);
      added.push(address);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  return added;
}

export async function listSuppressions(deps: SuppressionDependencies, page: PageRequest, actor: Actor): Promise<Page<EmailSuppression>> {
  requireCapability(actor, 'readRecords', 'read the email suppression list');
  return listPage(deps.table, suppressions.query(undefined), page, fromItem, { readLegacy: await deps.layout.readsLegacyPartitions() });
}

export async function getSuppression(deps: SuppressionDependencies, address: string, actor: Actor): Promise<EmailSuppression> {
  requireCapability(actor, 'readRecords', 'read the email suppression list');
  const suppression = await findSuppression(deps.table, address);
  if (!suppression) throw new NotFoundError('suppressed address', normalizeEmail(address));
  return suppression;
}

/** A person asked not to be emailed: anyone who may write records may record that. Idempotent. */
export async function addSuppression(deps: SuppressionDependencies, address: string, reason: 'unsubscribe' | 'manual', actor: Actor): Promise<{ suppression: EmailSuppression; created: boolean }> {
  requireCapability(actor, 'createRecords', 'add addresses to the email suppression list');
  const now = deps.clock.now().toISOString();
  const email = normalizeEmail(address);
  // Suppressed already under its hash (a person erased since): that entry answers, as any earlier one would.
  const existing = await findSuppression(deps.table, email);
  if (existing) return { suppression: existing, created: false };
  try {
    await deps.table.transactWrite([
      suppressionOp(email, reason, now, `added by ${actor.type} ${actor.id}`),
      auditOp({ recordType: 'suppression', recordId: email, at: now, entryId: deps.ids.next(), actor, event: 'created', changes: [{ field: 'reason', from: null, to: reason }] }),
    ]);
    return { suppression: (await findSuppression(deps.table, email))!, created: true };
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    return { suppression: (await findSuppression(deps.table, email))!, created: false };
  }
}

/** Emailing an address again after a bounce or complaint risks the sending reputation: managers only. */
export async function removeSuppression(deps: SuppressionDependencies, address: string, actor: Actor): Promise<void> {
  requireCapability(actor, 'changeAnyRecord', 'remove addresses from the email suppression list');
  const current = await findSuppression(deps.table, address);
  if (!current) throw new NotFoundError('suppressed address', normalizeEmail(address));
  const now = deps.clock.now().toISOString();
  await deps.table.transactWrite([
    // Both keys: an address can be suppressed under itself and, from an erased person, under its hash.
    { op: 'delete', key: emailSuppressionKey(normalizeEmail(address)) },
    { op: 'delete', key: emailSuppressionKey(hashedAddress(address)) },
    auditOp({ recordType: 'suppression', recordId: current.email, at: now, entryId: deps.ids.next(), actor, event: 'deleted', changes: [{ field: 'reason', from: current.reason, to: null }] }),
  ]);
}
