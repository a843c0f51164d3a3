import { systemClock } from '../adapters/system-clock';
import { rebuildReports } from '../domain/reports/rebuild-reports';
import type { Migration } from './migration';

/**
 * Deals, contacts and activities written before reports existed are in no counter: gives
 * each its share (from the record and its timeline), as `npm run reports:rebuild` does.
 * Records already counted are left as they are, so running it again changes nothing.
 */
export const countReports: Migration = {
  id: '0008-count-reports',
  description: 'Add every deal, contact and activity to the report counters',
  async run({ table, log }) {
    const { records, mended } = await rebuildReports({ table, clock: systemClock }, log);
    log(`counted ${mended} of ${records} record(s) into the reports`);
    return { changed: mended };
  },
};
