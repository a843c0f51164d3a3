import { dealModel } from '../domain/records/deal';
import { recordsByType } from '../domain/shared/keys';
import type { Migration } from './migration';
import { reindexRecords } from './reindex-records';

/**
 * Open deals written before the gsi4 "open deals by update" keys existed are invisible to
 * the daily search for stale deals. Rewrites them through the deals list. Safe to run again.
 */
export const indexOpenDeals: Migration = {
  id: '0004-index-open-deals',
  description: 'Add open-deal index keys (gsi4) to open deals written before the index existed',
  async run({ table, log }) {
    const changed = await reindexRecords(table, dealModel, recordsByType.query({ type: 'deal' }), (deal, item) => deal.status === 'open' && !item.gsi4pk);
    log(`indexed ${changed} open deal(s)`);
    return { changed };
  },
};
