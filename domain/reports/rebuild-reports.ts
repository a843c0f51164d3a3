import { itemToRecord } from '../records/record-items';
import type { CrmRecord } from '../records/record-model';
import { partitionQueries } from '../shared/key-design';
import { itemToEmailMessage } from '../email/email-message-items';
import { emailsByContact, recordKeys, recordQueries, recordsByType } from '../shared/keys';
import { InvalidCursorError } from '../shared/errors';
import { forEachQueryPage } from '../shared/pagination';
import type { CrmTablePort, Item, KeyQuery, PageKey } from '../shared/table-port';
import { replaceShare, type ReportDependencies, type StoredShare } from './report-keeper';
import { advanceHistory, emailShare, followedFields, reportedTypes, shareOf, type History, type ReportedType } from './report-shares';

/**
 * Recomputes the reports from the records: each live deal, contact and activity (through the
 * lists of its type, no Scan) gets the share its current state and its timeline call for,
 * and the counters the difference from the share stored. What the keeper counted right is
 * left as it is; what it missed on a live record (records from before reports, a change
 * dead-lettered) is mended. A deleted record's share is not visited: its deletion is the
 * keeper's to take back. A record changed meanwhile is left to the keeper when it is already ahead.
 */

/** A followed field's history from the record's timeline: its values after each change, in order. */
async function historyFromTimeline(table: CrmTablePort, type: ReportedType, record: CrmRecord): Promise<History> {
  const changes: Item[] = [];
  await forEachQueryPage(table, recordQueries.timeline(type, record.id), 100, (items) => void changes.push(...items.filter((item) => item.entity === 'timelineChange')));
  changes.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  const fields = followedFields[type];
  let state: Record<string, unknown> = {};
  let history: History = {};
  // Changes after the version read are the keeper's to add: counted here too, they would count twice.
  for (const change of changes.filter((entry) => String(entry.at) <= record.updatedAt)) {
    for (const { field, to } of change.changes as { field: string; to?: unknown }[]) if (fields.includes(field)) state = { ...state, [field]: to };
    history = advanceHistory(history, type, { ...record, ...state }, change.at as string);
  }
  // A record with no timeline entry (none is older than timelines): its current values since it was created.
  return changes.length > 0 ? history : advanceHistory({}, type, record, record.createdAt);
}

/** Whether two stored values are equal, whatever order the table gives a map's keys in. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(canonical) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, entry]) => [key, canonical(entry)])) : value;
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** Writes the share computed from the source, unless the keeper is ahead of it or the stored share is that very share. */
const mendShare = (deps: ReportDependencies, type: ReportedType | 'email', id: string, computed: StoredShare) =>
  replaceShare(deps, type, id, (stored) =>
    stored && (stored.version > computed.version || (stored.version === computed.version && same(stored.added, computed.added) && same(stored.history, computed.history))) ? undefined : computed,
  );

/** Brings one record's share in line with the record; answers whether it changed the counters. */
export async function rebuildReportsOf(deps: ReportDependencies, type: ReportedType, listed: CrmRecord): Promise<boolean> {
  // The list is eventually consistent: the record as it is now, and its timeline up to this version.
  const record = itemToRecord(await deps.table.getItem(recordKeys.record(type, listed.id)));
  if (!record) return false;
  const history = await historyFromTimeline(deps.table, type, record);
  return mendShare(deps, type, record.id, { version: record.version, history, added: shareOf(type, record, history) });
}

/** A contact's emails (they live and go with the contact): their shares of the email report. */
async function rebuildEmailReportsOf(deps: ReportDependencies, contactId: string): Promise<number> {
  let mended = 0;
  for (const query of partitionQueries(emailsByContact.query({ contactId }))) {
    await forEachQueryPage(deps.table, query, 100, async (items) => {
      for (const message of items.map(itemToEmailMessage)) {
        if (await mendShare(deps, 'email', message.id, { version: message.version, history: {}, added: emailShare(message) })) mended++;
      }
    });
  }
  return mended;
}

/**
 * Where a rebuild stands, so it can go on in another call (a state machine's next step, the
 * script's next page): the list partition it is in (reportedTypes × their lists' shards, in
 * order), the key to resume that partition after ('' from its start), and what it counted.
 */
export interface RebuildPosition {
  readonly partition: number;
  readonly cursor: string;
  readonly records: number;
  readonly mended: number;
}

export interface RebuildProgress extends RebuildPosition {
  /** Every partition has been read to its end. */
  readonly done: boolean;
  /** The record type of the partition the step ended in, or null once done. */
  readonly type: ReportedType | null;
}

export const REBUILD_START: RebuildPosition = { partition: 0, cursor: '', records: 0, mended: 0 };
const REBUILD_PAGE_SIZE = 100;

/** Each reported type's list of live records, shard by shard: the partitions a rebuild walks. */
const rebuildPartitions = reportedTypes.flatMap((type) => partitionQueries(recordsByType.query({ type })).map((query) => ({ type, query })));

const encodeCursor = (key: PageKey) => Buffer.from(JSON.stringify(key)).toString('base64url');

/** The key a step returned for this partition; anything else (altered, another partition's) is refused before DynamoDB would. */
function decodeCursor(cursor: string, query: KeyQuery): PageKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const isPageKey = (value: unknown): value is PageKey =>
    !!value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((entry) => typeof entry === 'string');
  if (!isPageKey(key) || key[query.index ? `${query.index}pk` : 'pk'] !== query.partitionKey) throw new InvalidCursorError();
  return key;
}

/** The key that resumes a query right after `item`: the table's key, and the index's too when the query reads one. */
function resumeKeyAfter(item: Item, query: KeyQuery): PageKey {
  const key: PageKey = { pk: item.pk, sk: item.sk };
  if (query.index) for (const attribute of [`${query.index}pk`, `${query.index}sk`]) key[attribute] = String(item[attribute]);
  return key;
}

/**
 * Rebuilds live records after `position`, record by record while `hasTimeForAnotherRecord`
 * says so (at least one, so every step gets further), and answers where to go on from: the
 * key of the last record done. Mending is per record, so a step that fails halfway and runs
 * again from the same position mends nothing twice.
 */
export async function rebuildReportsStep(
  deps: ReportDependencies,
  position: RebuildPosition,
  hasTimeForAnotherRecord: () => boolean,
  pageSize = REBUILD_PAGE_SIZE,
): Promise<RebuildProgress> {
  let { partition, cursor, records, mended } = position;
  let first = true;
  for (let current = rebuildPartitions[partition]; current; current = rebuildPartitions[partition]) {
    const page = await deps.table.query(current.query, { limit: pageSize, ...(cursor ? { startKey: decodeCursor(cursor, current.query) } : {}) });
    for (const item of page.items) {
      if (!first && !hasTimeForAnotherRecord()) return progressAt(partition, cursor, records, mended);
      first = false;
      const record = itemToRecord(item);
      if (record) {
        records++;
        if (await rebuildReportsOf(deps, current.type, record)) mended++;
        if (current.type === 'contact') mended += await rebuildEmailReportsOf(deps, record.id);
      }
      cursor = encodeCursor(resumeKeyAfter(item, current.query));
    }
    if (!page.lastKey) [partition, cursor] = [partition + 1, ''];
    if (!hasTimeForAnotherRecord()) break;
  }
  return progressAt(partition, cursor, records, mended);
}

function progressAt(partition: number, cursor: string, records: number, mended: number): RebuildProgress {
  const done = partition >= rebuildPartitions.length;
  return { partition, cursor, records, mended, done, type: done ? null : rebuildPartitions[partition]!.type };
}

/** Every live deal, contact (with its emails) and activity, page by page: how many records there were, and how many shares changed. */
export async function rebuildReports(deps: ReportDependencies, log: (message: string) => void = () => undefined): Promise<{ readonly records: number; readonly mended: number }> {
  let progress: RebuildProgress = { ...REBUILD_START, done: false, type: rebuildPartitions[0]!.type };
  while (!progress.done) {
    const before = progress.type;
    let done = 0;
    // A page's worth of records per step: the script has no clock to race.
    progress = await rebuildReportsStep(deps, progress, () => ++done < REBUILD_PAGE_SIZE);
    if (progress.type !== before) log(`${before}: ${progress.records} record(s) so far, ${progress.mended} share(s) mended`);
  }
  return { records: progress.records, mended: progress.mended };
}
