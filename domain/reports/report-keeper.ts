import { itemToEmailMessage } from '../email/email-message-items';
import type { RecordChange } from '../records/record-change';
import type { TableChange } from '../shared/table-change';
import type { CrmRecord } from '../records/record-model';
import type { CoreDependencies } from '../shared/dependencies';
import { PreconditionFailedError } from '../shared/errors';
import { retryLostRaces } from '../shared/optimistic-retry';
import { reportCounterKey, reportShareKey } from '../shared/keys';
import type { Item, WriteOp } from '../shared/table-port';
import { advanceHistory, emailShare, isReported, parseCounterId, shareDifference, shareOf, type History, type ReportedType, type Share } from './report-shares';

/**
 * Keeps the report counters in step with deals, contacts and activities: the `reportKeeper`
 * stream consumer (functions/manifest.ts) hands it each record change. The record's share
 * item holds what it added last and at which version; a change applies the difference
 * between that share and the new one, in one transaction with the share item, conditioned on
 * the share being the one read. So a change is counted exactly once: a duplicate, or an older
 * version arriving after a newer one, finds a share at its version or later and does nothing.
 */

/** What writing shares needs: the table, and the clock the race-retry loop pauses with. */
export type ReportDependencies = Pick<CoreDependencies, 'table' | 'clock'>;

/** Longer than a stream keeps a record (24 h) and its consumer retries it. */
const SHARE_OF_DELETED_TTL_SECONDS = 7 * 24 * 3600;

export interface StoredShare {
  /** The version of the record (or email message) the share is of. */
  readonly version: number;
  readonly history: History;
  readonly added: Share;
}

type NewShare = StoredShare & {
  /** The record is deleted: the share stays a while (TTL, epoch seconds) so a late duplicate of an older change finds it. */
  readonly expiresAt?: number;
};

/**
 * A share item: `sourceVersion` is the record's version it counts; `version` counts the item's
 * own writes, and every write is conditioned on it. A write that leaves the record version as
 * it was (the rebuild mending a share) still moves `version`, so a writer that read the share
 * before it cannot pass its condition and add a difference computed from a share now gone.
 */
function shareItem(type: ReportedType | 'email', id: string, share: NewShare, revision: number): Item {
  const { version, ...rest } = share;
  return { ...reportShareKey(type, id), entity: 'reportShare', recordType: type, recordId: id, ...rest, sourceVersion: version, version: revision };
}

function storedShareOf(item: Item | undefined): { readonly share: StoredShare; readonly revision: number } | undefined {
  if (!item) return undefined;
  return { share: { version: Number(item.sourceVersion), history: item.history as History, added: item.added as Share }, revision: Number(item.version) };
}

/** The counter writes that turn `from` into `to`, each in the record's own shard of the counter. */
export function counterOps(recordId: string, from: Share, to: Share): WriteOp[] {
  return Object.entries(shareDifference(from, to)).map(([id, amounts]) => {
    const { report, scope, bucket } = parseCounterId(id);
    return { op: 'add', key: reportCounterKey(report, scope, bucket, recordId), amounts };
  });
}

/**
 * Writes a record's new share (or none, once it is deleted) in place of the stored one, with
 * the counters' difference, unless another writer replaced the stored share meanwhile (then
 * it reads again). `next` computes the share from what is stored; undefined means nothing to do.
 */
export function replaceShare(deps: ReportDependencies, type: ReportedType | 'email', id: string, next: (stored: StoredShare | undefined) => NewShare | undefined): Promise<boolean> {
  // The project's one optimistic loop: another writer of the share won (the condition), or a busy
  // counter held the transaction off (contention): read again and decide again, after a pause.
  return retryLostRaces(deps.clock, { resource: 'report share', id }, async () => {
    const stored = storedShareOf(await deps.table.getItem(reportShareKey(type, id)));
    const share = next(stored?.share);
    if (!share) return false;
    await deps.table.transactWrite([
      {
        op: 'put',
        item: shareItem(type, id, share, (stored?.revision ?? 0) + 1),
        // The share item has no deletedAt: the versioned condition applies to it as to a record.
        condition: stored ? { kind: 'liveAtVersion', version: stored.revision } : { kind: 'absent' },
        onConditionFailed: () => new PreconditionFailedError(),
      },
      ...counterOps(id, stored?.share.added ?? {}, share.added),
    ]);
    return true;
  });
}

/** A deleted record's (or removed message's) share: nothing counted, kept a while after `atMs`. */
const takenBack = (version: number, atMs: number): NewShare => ({ version, history: {}, added: {}, expiresAt: Math.floor(atMs / 1000) + SHARE_OF_DELETED_TTL_SECONDS });

/** The history a change leads to: what is stored, moved on by the change (or, with nothing stored, started from the record before it). */
function historyAfter(type: ReportedType, stored: History | undefined, change: RecordChange, after: CrmRecord): History {
  const start = stored ?? (change.before ? advanceHistory({}, type, change.before, change.before.createdAt) : {});
  return advanceHistory(start, type, after, change.at);
}

/** Applies one record change to the counters; answers whether it changed anything (false: a duplicate, an older version, or no report cares). */
export async function keepReportsOf(deps: ReportDependencies, change: RecordChange): Promise<boolean> {
  if (!isReported(change.recordType)) return false;
  const type = change.recordType;
  // A deletion comes after the record's last version: it takes the share back once.
  const version = change.event === 'deleted' ? change.version + 1 : change.version;
  return replaceShare(deps, type, change.id, (stored) => {
    if (stored && stored.version >= version) return undefined;
    if (change.event === 'deleted' || !change.after) return takenBack(version, Date.parse(change.at));
    const history = historyAfter(type, stored?.history, change, change.after);
    return { version, history, added: shareOf(type, change.after, history) };
  });
}

/**
 * Applies one change of an email message (its status moving on, or its removal with its
 * contact) to the email counters, once per message version, like a record's.
 */
export async function keepEmailReportsOf(deps: ReportDependencies, change: TableChange): Promise<boolean> {
  if (change.entity !== 'emailMessage') return false;
  const message = change.after ? itemToEmailMessage(change.after) : undefined;
  const gone = change.before ? itemToEmailMessage(change.before) : undefined;
  const id = (message ?? gone)!.id;
  const version = message ? message.version : gone!.version + 1;
  return replaceShare(deps, 'email', id, (stored) => {
    if (stored && stored.version >= version) return undefined;
    if (!message) return takenBack(version, deps.clock.now().getTime());
    return { version, history: {}, added: emailShare(message) };
  });
}
