import { requireCapability } from '../access/permissions';
import { auditOp } from '../audit/audit-entries';
import type { Page } from '../shared/page';
import type { Actor } from '../shared/actor';
import { ConflictError, NotFoundError } from '../shared/errors';
import { emailSuppressionKey, suppressions } from '../shared/keys';
import type { PageRequest } from '../shared/page';
import { listPage } from '../shared/pagination';
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

export async function findSuppression(table: CrmTablePort, address: string): Promise<EmailSuppression | undefined> {
  const item = await table.getItem(emailSuppressionKey(normalizeEmail(address)));
  return item ? fromItem(item) : undefined;
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
    { op: 'delete', key: emailSuppressionKey(current.email) },
    auditOp({ recordType: 'suppression', recordId: current.email, at: now, entryId: deps.ids.next(), actor, event: 'deleted', changes: [{ field: 'reason', from: current.reason, to: null }] }),
  ]);
}
