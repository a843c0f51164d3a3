import { auditIndexAttributes } from '../domain/audit/audit-entries';
import { recordToItem, itemToRecord } from '../domain/records/record-items';
import { modelOf } from '../domain/records/record-models';
import type { RecordType } from '../domain/records/record-model';
import { PreconditionFailedError } from '../domain/shared/errors';
import { inParallel } from '../domain/shared/in-parallel';
import { SHARD_LISTS_MIGRATION } from '../domain/shared/key-layout';
import type { CrmTablePort, Item } from '../domain/shared/table-port';
import type { Migration } from './migration';

const recordTypes = new Set<string>(['contact', 'company', 'deal', 'activity']);
/** Conditional rewrites in flight per page of the Scan (each Scan segment runs its own pages). */
const REWRITES_IN_FLIGHT = 16;
const indexAttributes = ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk'] as const;
const sameIndexKeys = (a: Item, b: Item) => indexAttributes.every((name) => a[name] === b[name]);

/** `item` with the index keys of `keyed` instead of its own, every other attribute (`changedBy` among them) as it was. */
function withIndexKeysOf(item: Item, keyed: Item): Item {
  const kept = Object.fromEntries(Object.entries(item).filter(([name]) => !(indexAttributes as readonly string[]).includes(name)));
  return { ...kept, ...Object.fromEntries(indexAttributes.filter((name) => keyed[name] !== undefined).map((name) => [name, keyed[name]])) } as Item;
}

/** The item as today's code writes it, or undefined when it already is (or is nothing this migration moves). */
function withCurrentKeys(item: Item): Item | undefined {
  if (recordTypes.has(String(item.entity)) && item.deletedAt === undefined) {
    const record = itemToRecord(item);
    const current = record ? recordToItem(modelOf(item.entity as RecordType), record) : undefined;
    return current && !sameIndexKeys(item, current) ? withIndexKeysOf(item, current) : undefined;
  }
  if (item.entity === 'timelineChange' || item.entity === 'auditEntry') {
    const rewritten = { ...item, ...auditIndexAttributes(item) };
    return sameIndexKeys(item, rewritten) ? undefined : rewritten;
  }
  return undefined;
}

/**
 * Moves every list entry from the one partition key its list had to the shards that
 * domain/shared/keys.ts now declares (records by type, owner, facet and pipeline; audit
 * entries by actor). Each item is rewritten as is, with new index keys only: a record on
 * condition that it is still at the version read (a concurrent write wrote the new keys
 * itself), an audit entry on condition that it still exists (a delete's sweep may have
 * taken it). Until this has run, lists read the old partitions too (key-layout.ts), so no
 * entry is missing from a list at any point. Safe to run again: moved items are skipped.
 *
 * Audit entries of records deleted long ago are on no list but the actor's own, so the
 * migration visits the whole table once (a Scan, offline): its cost is one read of the
 * table (0.5 RCU per 4 KB) and one conditional write per moved item (a one-item transaction:
 * 2 WCU per KB, plus a delete and a put in each index whose key moves).
 */
export const shardLists: Migration = {
  id: SHARD_LISTS_MIGRATION,
  description: 'Move list entries to sharded partition keys (records by type, owner, facet, pipeline; audit by actor)',
  async run({ table, scan, log }) {
    let moved = 0;
    let skipped = 0;
    await scan.forEachPage(async (items) => {
      await inParallel(items, REWRITES_IN_FLIGHT, async (item) => {
        const rewritten = withCurrentKeys(item);
        if (!rewritten) return;
        if (await rewrite(table, item, rewritten)) moved++;
        else skipped++;
      });
    });
    log(`moved ${moved} item(s) to sharded list keys; ${skipped} changed or deleted meanwhile (their writers set the new keys)`);
    return { changed: moved };
  },
};

async function rewrite(table: CrmTablePort, item: Item, rewritten: Item): Promise<boolean> {
  const isRecord = item.entity !== 'timelineChange' && item.entity !== 'auditEntry';
  try {
    await table.transactWrite([
      {
        op: 'put',
        item: rewritten,
        condition: isRecord ? { kind: 'liveAtVersion', version: item.version as number } : { kind: 'live' },
        onConditionFailed: () => new PreconditionFailedError(),
      },
    ]);
    return true;
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    return false;
  }
}
