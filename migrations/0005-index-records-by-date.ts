import { activityModel } from '../domain/records/activity';
import { dealModel } from '../domain/records/deal';
import { recordsByFacet, recordsByType } from '../domain/shared/keys';
import type { Migration } from './migration';
import { reindexRecords } from './reindex-records';

/**
 * Open deals with an expected close date and open tasks with a due time, written before
 * the gsi5 "records by date" keys existed, are invisible to scheduled workflows that count
 * days from those dates. Rewrites them through the deals and tasks lists. Safe to run again.
 */
export const indexRecordsByDate: Migration = {
  id: '0005-index-records-by-date',
  description: 'Add date index keys (gsi5) to open deals with a close date and open tasks with a due time',
  async run({ table, log }) {
    const deals = await reindexRecords(table, dealModel, recordsByType.query({ type: 'deal' }), (deal, item) => !item.gsi5pk && deal.status === 'open' && typeof deal.expectedCloseDate === 'string');
    const tasks = await reindexRecords(
      table,
      activityModel,
      recordsByFacet.query({ type: 'activity', facet: 'kind', value: 'task' }),
      (task, item) => !item.gsi5pk && task.taskStatus === 'open' && typeof task.dueAt === 'string',
    );
    log(`indexed ${deals} deal(s) by close date and ${tasks} task(s) by due time`);
    return { changed: deals + tasks };
  },
};
