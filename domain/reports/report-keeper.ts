import { itemToEmailMessage } from '../email/email-message-items';
import type { RecordChange } from '../records/record-change';
import type { TableChange } from '../shared/table-change';
import type { CrmRecord } from '../records/record-model';
import { PreconditionFailedError } from '../shared/errors';
import { reportCounterKey, reportShareKey } from '../shared/keys';
import type { CrmTablePort, Item, WriteOp } from '../shared/table-port';
import { advanceHistory, emailShare, isReported, parseCounterId, shareDifference, shareOf, type History, type ReportedType, type Share } from './report-shares';

/**
 * Keeps the report counters in step with deals, contacts and activities: the `reportKeeper`
 * stream consumer (functions/manifest.ts) hands it each record change. The record's share
 * item holds what it added last and at which version; a change applies the difference
 * between that share and the new one, in one transaction with the share item, conditioned on
 * the share being the one read. So a change is counted exactly once: a duplicate, or an older
 * version arriving after a newer one, finds a share at its version or later and does nothing.
 */

/** Longer than a stream keeps a record (24 h) and its consumer retries it. */
const SHARE_OF_DELETED_TTL_SECONDS = 7 * 24 * 3600;

export interface StoredShare {
  readonly version: number;
  readonly history: History;
  readonly added: Share;
}

/** A share item (keys.ts reportShareKey): no `deletedAt`, so the versioned condition applies to it as to records. */
type NewShare = StoredShare & {
  /** The record is deleted: the share stays a while (TTL, epoch seconds) so a late duplicate of an older change finds it. */
  readonly expiresAt?: number;
};

function shareItem(type: ReportedType | 'email', id: string, share: NewShare): Item {
  return { ...reportShareKey(type, id), entity: 'reportShare', recordType: type, recordId: id, ...share };
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
export async function replaceShare(
  table: CrmTablePort,
  type: ReportedType | 'email',
  id: string,
  next: (stored: StoredShare | undefined) => NewShare | undefined,
): Promise<boolean> {
  for (;;) {
    const item = await table.getItem(reportShareKey(type, id));
    const stored = item as unknown as StoredShare | undefined;
    const share = next(stored);
    if (!share) return false;
    const ops: WriteOp[] = [
      {
        op: 'put',
        item: shareItem(type, id, share),
        condition: stored ? { kind: 'liveAtVersion', version: stored.version } : { kind: 'absent' },
        onConditionFailed: () => new PreconditionFailedError(),
      },
      ...counterOps(id, stored?.added ?? {}, share.added),
    ];
    try {
      await table.transactWrite(ops);
      return true;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}

/** The history a change leads to: what is stored, moved on by the change (or, with nothing stored, started from the record before it). */
function historyAfter(type: ReportedType, stored: History | undefined, change: RecordChange, after: CrmRecord): History {
  const start = stored ?? (change.before ? advanceHistory({}, type, change.before, change.before.createdAt) : {});
  return advanceHistory(start, type, after, change.at);
}

/** Applies one record change to the counters; answers whether it changed anything (false: a duplicate, an older version, or no report cares). */
export async function keepReportsOf(table: CrmTablePort, change: RecordChange): Promise<boolean> {
  if (!isReported(change.recordType)) return false;
  const type = change.recordType;
  // A deletion comes after the record's last version: it takes the share back once.
  const version = change.event === 'deleted' ? change.version + 1 : change.version;
  return replaceShare(table, type, change.id, (stored) => {
    if (stored && stored.version >= version) return undefined;
    if (change.event === 'deleted' || !change.after) return { version, history: {}, added: {}, expiresAt: Math.floor(Date.parse(change.at) / 1000) + SHARE_OF_DELETED_TTL_SECONDS };
    const history = historyAfter(type, stored?.history, change, change.after);
    return { version, history, added: shareOf(type, change.after, history) };
  });
}

/**
 * Applies one change of an email message (its status moving on, or its removal with its
 * contact) to the email counters, once per message version, like a record's.
 */
export async function keepEmailReportsOf(table: CrmTablePort, change: TableChange): Promise<boolean> {
  if (change.entity !== 'emailMessage') return false;
  const message = change.after ? itemToEmailMessage(change.after) : undefined;
  const gone = change.before ? itemToEmailMessage(change.before) : undefined;
  const id = (message ?? gone)!.id;
  const version = message ? message.version : gone!.version + 1;
  return replaceShare(table, 'email', id, (stored) => {
    if (stored && stored.version >= version) return undefined;
    if (!message) return { version, history: {}, added: {}, expiresAt: Math.floor(Date.now() / 1000) + SHARE_OF_DELETED_TTL_SECONDS };
    return { version, history: {}, added: emailShare(message) };
  });
}
