import { itemToRecord } from '../records/record-items';
import type { CrmRecord } from '../records/record-model';
import { partitionQueries } from '../shared/key-design';
import { itemToEmailMessage } from '../email/email-message-items';
import { emailsByContact, recordKeys, recordQueries, recordsByType } from '../shared/keys';
import { forEachQueryPage } from '../shared/pagination';
import type { CrmTablePort, Item } from '../shared/table-port';
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

/** Every live deal, contact (with its emails) and activity: how many records there were, and how many shares changed. */
export async function rebuildReports(deps: ReportDependencies, log: (message: string) => void = () => undefined): Promise<{ readonly records: number; readonly mended: number }> {
  let records = 0;
  let mended = 0;
  for (const type of reportedTypes) {
    for (const query of partitionQueries(recordsByType.query({ type }))) {
      await forEachQueryPage(deps.table, query, 100, async (items) => {
        for (const record of items.map(itemToRecord)) {
          if (!record) continue;
          records++;
          if (await rebuildReportsOf(deps, type, record)) mended++;
          if (type === 'contact') mended += await rebuildEmailReportsOf(deps, record.id);
        }
      });
    }
    log(`${type}: ${records} record(s) so far, ${mended} share(s) mended`);
  }
  return { records, mended };
}
