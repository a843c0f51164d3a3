import { dealModel } from '../domain/records/deal';
import { itemToRecord, recordToItem } from '../domain/records/record-items';
import { PreconditionFailedError } from '../domain/shared/errors';
import { partitionQueries } from '../domain/shared/key-design';
import { recordsByType } from '../domain/shared/keys';
import { forEachQueryPage } from '../domain/shared/pagination';
import type { Migration } from './migration';

/**
 * Open deals written before the gsi4 "open deals by update" keys existed are invisible to
 * the daily search for stale deals. Rewrites each with the keys today's code writes,
 * through the deals list (no Scan); a deal changed meanwhile already has them and is
 * skipped. Safe to run again.
 */
export const indexOpenDeals: Migration = {
  id: '0004-index-open-deals',
  description: 'Add open-deal index keys (gsi4) to open deals written before the index existed',
  async run({ table, log }) {
    let changed = 0;
    for (const query of partitionQueries(recordsByType.query({ type: 'deal' }))) {
      await forEachQueryPage(table, query, 100, async (items) => {
        for (const item of items) {
          const deal = itemToRecord(item);
          if (!deal || deal.status !== 'open' || item.gsi4pk) continue;
          try {
            await table.transactWrite([
              { op: 'put', item: recordToItem(dealModel, deal), condition: { kind: 'liveAtVersion', version: deal.version }, onConditionFailed: () => new PreconditionFailedError() },
            ]);
            changed++;
          } catch (error) {
            // Changed or deleted since we read it: the write that did so set the keys itself.
            if (!(error instanceof PreconditionFailedError)) throw error;
          }
        }
      });
    }
    log(`indexed ${changed} open deal(s)`);
    return { changed };
  },
};
