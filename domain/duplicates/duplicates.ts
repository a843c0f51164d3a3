import { requireCapability, requireMayChange } from '../access/permissions';
import type { RecordChange } from '../records/record-change';
import { itemToRecord } from '../records/record-items';
import type { CrmRecord, RecordModel } from '../records/record-model';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import { NotFoundError, PreconditionFailedError, ValidationError } from '../shared/errors';
import { duplicateKeys, duplicatePairs, recordKeys } from '../shared/keys';
import { retryLostRaces } from '../shared/optimistic-retry';
import type { Page, PageRequest } from '../shared/page';
import { pageOf, queryList } from '../shared/pagination';
import type { Item } from '../shared/table-port';
import { inParallel } from '../shared/in-parallel';
import { isDeduplicated, matchKeysOf, sameKey, sharedReasons, type DeduplicatedType, type DuplicateReason, type MatchKey } from './match-keys';

/**
 * Candidate duplicates, kept from the record changes on the table's stream (the
 * `recordIndexer` consumer), never by a Scan:
 * - each contact or company is a member of one group per match key it has (match-keys.ts):
 *   (keys.ts: duplicateKeys), one item per record, written when the key appears and
 *   deleted when it goes;
 * - after writing its memberships, a record reads each of its groups (strongly consistent, so
 *   of two records joining a group at the same moment at least one sees the other) and writes
 *   a pair item for each other member, with the reasons they share; a pair whose reasons are
 *   gone is deleted. Pairs are listed in gsi1 until dismissed.
 * A list page checks each pair against the two records as they are now, so a pair left
 * behind by two changes racing is never shown; the next change of either record mends it.
 */

/** Keeping the candidates needs the table and the time, no ids. */
export type DuplicateDependencies = Pick<CoreDependencies, 'table' | 'clock'>;

/** A group larger than this pairs a record with its first members only (by id: the oldest). */
export const MAX_GROUP_PAIRS = 50;

export interface DuplicatePair {
  readonly recordType: DeduplicatedType;
  /** The two records, lower id first. */
  readonly recordIds: readonly [string, string];
  readonly reasons: readonly DuplicateReason[];
  readonly detectedAt: string;
  readonly updatedAt: string;
  readonly version: number;
  readonly dismissedAt?: string;
  readonly dismissedBy?: string;
}

/** A candidate as a list shows it: the pair, and both records as they are now. */
export interface DuplicateCandidate {
  readonly recordIds: readonly [string, string];
  readonly reasons: readonly DuplicateReason[];
  readonly detectedAt: string;
  readonly records: readonly [CrmRecord, CrmRecord];
}

const ordered = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);
const pairIdOf = ([lower, higher]: readonly [string, string]) => `${lower}.${higher}`;

function pairToItem(pair: DuplicatePair): Item {
  const listed = pair.dismissedAt === undefined && pair.reasons.length > 0;
  return {
    ...duplicateKeys.pair(pair.recordType, ...pair.recordIds),
    entity: 'duplicatePair',
    ...pair,
    ...(listed ? duplicatePairs.attributes({ type: pair.recordType }, { detectedAt: pair.detectedAt, pairId: pairIdOf(pair.recordIds) }) : {}),
  };
}

function itemToPair(item: Item): DuplicatePair {
  const { recordType, recordIds, reasons, detectedAt, updatedAt, version, dismissedAt, dismissedBy } = item as unknown as DuplicatePair;
  return { recordType, recordIds, reasons, detectedAt, updatedAt, version, ...(dismissedAt ? { dismissedAt } : {}), ...(dismissedBy ? { dismissedBy } : {}) };
}

const memberItem = (type: DeduplicatedType, recordId: string, key: MatchKey): Item => ({
  ...duplicateKeys.member(type, key.reason, key.value, recordId),
  entity: 'duplicateKey',
  recordId,
  key,
});

/**
 * Applies record changes, in stream order, to the groups and pairs. Idempotent: a redelivered
 * change writes the same memberships and finds the pairs as they should be. Answers how many
 * pairs it wrote or removed.
 */
export async function keepDuplicateCandidates(deps: DuplicateDependencies, changes: readonly RecordChange[]): Promise<number> {
  // One record's changes in stream order; different records side by side (their races are the groups' consistent reads' to settle).
  const byRecord = new Map<string, RecordChange[]>();
  for (const change of changes) {
    if (!isDeduplicated(change.recordType)) continue;
    const key = `${change.recordType} ${change.id}`;
    byRecord.set(key, [...(byRecord.get(key) ?? []), change]);
  }
  let pairsChanged = 0;
  await inParallel([...byRecord.values()], RECORDS_AT_ONCE, async (recordChanges) => {
    for (const change of recordChanges) {
      const type = change.recordType as DeduplicatedType;
      const before = change.before ? matchKeysOf(type, change.before) : [];
      const after = change.event === 'deleted' || !change.after ? [] : matchKeysOf(type, change.after);
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      pairsChanged += await applyMatchKeys(deps, type, change.id, before, after);
    }
  });
  return pairsChanged;
}

const RECORDS_AT_ONCE = 8;

/** Writes one record's memberships from `before` to `after`, then every pair it is in by them. */
export async function applyMatchKeys(deps: DuplicateDependencies, type: DeduplicatedType, recordId: string, before: readonly MatchKey[], after: readonly MatchKey[]): Promise<number> {
  const gone = before.filter((key) => !after.some((kept) => sameKey(key, kept)));
  await deps.table.deleteItems(gone.map((key) => duplicateKeys.member(type, key.reason, key.value, recordId)));
  await deps.table.putItems(after.map((key) => memberItem(type, recordId, key)));

  // Every record that shares (or shared) a key with this one, and the keys it has in each group read.
  const partnerKeys = new Map<string, MatchKey[]>();
  for (const key of [...after, ...gone]) {
    const { items } = await deps.table.query(duplicateKeys.group(type, key.reason, key.value), { limit: MAX_GROUP_PAIRS + 1 });
    for (const member of items.filter((item) => item.recordId !== recordId).slice(0, MAX_GROUP_PAIRS)) {
      const partnerId = member.recordId as string;
      partnerKeys.set(partnerId, [...(partnerKeys.get(partnerId) ?? []), member.key as MatchKey]);
    }
  }
  let changed = 0;
  for (const [partnerId, theirs] of partnerKeys) {
    if (await savePair(deps, type, recordId, partnerId, sharedReasons(after, theirs))) changed++;
  }
  return changed;
}

/** Writes the pair with these reasons (none: removes it), keeping its dismissal. Answers whether it wrote. */
async function savePair(deps: DuplicateDependencies, type: DeduplicatedType, a: string, b: string, reasons: readonly DuplicateReason[]): Promise<boolean> {
  const recordIds = ordered(a, b);
  const key = duplicateKeys.pair(type, ...recordIds);
  return retryLostRaces(deps.clock, { resource: 'duplicate pair', id: pairIdOf(recordIds) }, async () => {
    const stored = await deps.table.getItem(key);
    const current = stored ? itemToPair(stored) : undefined;
    const lost = () => new PreconditionFailedError();
    if (reasons.length === 0) {
      if (!current) return false;
      await deps.table.transactWrite([{ op: 'delete', key, condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: lost }]);
      return true;
    }
    if (current && JSON.stringify(current.reasons) === JSON.stringify(reasons)) return false;
    const now = deps.clock.now().toISOString();
    const next: DuplicatePair = { ...current, recordType: type, recordIds, reasons, detectedAt: current?.detectedAt ?? now, updatedAt: now, version: (current?.version ?? 0) + 1 };
    await deps.table.transactWrite([{ op: 'put', item: pairToItem(next), condition: current ? { kind: 'liveAtVersion', version: current.version } : { kind: 'absent' }, onConditionFailed: lost }]);
    return true;
  });
}

/** The candidate pairs of a type, newest first, each checked against both records as they are now. */
export async function listDuplicates(deps: CoreDependencies, model: RecordModel, page: PageRequest, actor: Actor): Promise<Page<DuplicateCandidate>> {
  requireCapability(actor, 'readRecords', `read ${model.collection}`);
  const type = deduplicated(model);
  const list = await queryList(deps.table, duplicatePairs.query({ type }), page);
  return pageOf(list, async (items) => {
    const pairs = items.map(itemToPair);
    const ids = [...new Set(pairs.flatMap((pair) => pair.recordIds))];
    const records = new Map(
      (await deps.table.getItems(ids.map((id) => recordKeys.record(type, id))))
        .map(itemToRecord)
        .filter((record): record is CrmRecord => record !== undefined)
        .map((record) => [record.id, record]),
    );
    return pairs.map((pair): DuplicateCandidate | undefined => {
      const [first, second] = [records.get(pair.recordIds[0]), records.get(pair.recordIds[1])];
      if (!first || !second) return undefined;
      const reasons = sharedReasons(matchKeysOf(type, first), matchKeysOf(type, second));
      return reasons.length === 0 ? undefined : { recordIds: pair.recordIds, reasons, detectedAt: pair.detectedAt, records: [first, second] };
    });
  });
}

/** Takes a pair off the list for good, while its records still match (who may change both records may). */
export async function dismissDuplicate(deps: CoreDependencies, model: RecordModel, ids: readonly string[], actor: Actor): Promise<DuplicatePair> {
  requireCapability(actor, 'changeOwnRecords', `dismiss duplicate ${model.collection}`);
  const type = deduplicated(model);
  if (ids.length !== 2 || ids[0] === ids[1]) throw new ValidationError('Name the two records of the pair.', [{ field: 'body.recordIds', message: 'two different ids' }]);
  const recordIds = ordered(ids[0]!, ids[1]!);
  return retryLostRaces(deps.clock, { resource: 'duplicate pair', id: pairIdOf(recordIds) }, async () => {
    const stored = await deps.table.getItem(duplicateKeys.pair(type, ...recordIds));
    if (!stored) throw new NotFoundError(`${model.type} duplicate pair`, pairIdOf(recordIds));
    const records = (await deps.table.getItems(recordIds.map((id) => recordKeys.record(type, id)))).map(itemToRecord);
    for (const record of records) if (record) requireMayChange(actor, record, `dismiss duplicate ${model.collection}`);
    const current = itemToPair(stored);
    if (current.dismissedAt) return current;
    const next: DuplicatePair = { ...current, dismissedAt: deps.clock.now().toISOString(), dismissedBy: actor.id, updatedAt: deps.clock.now().toISOString(), version: current.version + 1 };
    await deps.table.transactWrite([{ op: 'put', item: pairToItem(next), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new PreconditionFailedError() }]);
    return next;
  });
}

function deduplicated(model: RecordModel): DeduplicatedType {
  if (!isDeduplicated(model.type)) throw new ValidationError(`${model.collection} have no duplicate list.`, []);
  return model.type;
}

