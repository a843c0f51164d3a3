import { activityModel } from '../domain/records/activity';
import { recordToItem, itemToRecord } from '../domain/records/record-items';
import { PreconditionFailedError } from '../domain/shared/errors';
import { partitionQueries } from '../domain/shared/key-design';
import { recordsByFacet } from '../domain/shared/keys';
import { forEachQueryPage } from '../domain/shared/pagination';
import type { Migration } from './migration';

/**
 * Tasks written before the gsi4 index existed carry no assignee keys, so "my open
 * tasks" would miss them. Rewrites each such task's item with the keys today's code
 * writes; a task changed meanwhile already has them and is skipped.
 */
export const indexTasksByAssignee: Migration = {
  id: '0001-index-tasks-by-assignee',
  description: 'Add assignee index keys (gsi4) to tasks written before the index existed',
  async run({ table, log }) {
    let changed = 0;
    // Every partition the tasks list may have, before and after its index was sharded.
    for (const query of partitionQueries(recordsByFacet.query({ type: 'activity', facet: 'kind', value: 'task' }))) {
      await forEachQueryPage(table, query, 100, async (items) => {
        for (const item of items) {
          const task = itemToRecord(item);
          if (!task?.assigneeId || item.gsi4pk) continue;
          try {
            await table.transactWrite([
              { op: 'put', item: recordToItem(activityModel, task), condition: { kind: 'liveAtVersion', version: task.version }, onConditionFailed: () => new PreconditionFailedError() },
            ]);
            changed++;
          } catch (error) {
            // Changed or deleted since we read it: the write that did so set the keys itself.
            if (!(error instanceof PreconditionFailedError)) throw error;
          }
        }
      });
    }
    log(`indexed ${changed} task(s) by assignee`);
    return { changed };
  },
};
