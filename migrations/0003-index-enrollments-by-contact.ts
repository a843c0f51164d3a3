import { PreconditionFailedError } from '../domain/shared/errors';
import { partitionQueries } from '../domain/shared/key-design';
import { enrollmentKeys, recordsByType } from '../domain/shared/keys';
import { forEachQueryPage } from '../domain/shared/pagination';
import type { Item } from '../domain/shared/table-port';
import { enrollmentToItem, itemToEnrollment } from '../domain/sequences/sequence-items';
import type { Migration } from './migration';

/**
 * Enrollments written before the gsi2 "enrollments by contact" keys existed cannot be found
 * from their contact, so a won deal or a booked meeting would not stop them. Rewrites each
 * with the keys today's code writes, through the sequences' own partitions (no Scan); an
 * enrollment changed meanwhile already has them and is skipped. Safe to run again.
 */
export const indexEnrollmentsByContact: Migration = {
  id: '0003-index-enrollments-by-contact',
  description: 'Add contact index keys (gsi2) to enrollments written before the index existed',
  async run({ table, log }) {
    let changed = 0;
    const index = async (items: Item[]) => {
      for (const item of items) {
        if (item.gsi2pk) continue;
        const enrollment = itemToEnrollment(item);
        try {
          await table.transactWrite([
            { op: 'put', item: enrollmentToItem(enrollment), condition: { kind: 'liveAtVersion', version: enrollment.version }, onConditionFailed: () => new PreconditionFailedError() },
          ]);
          changed++;
        } catch (error) {
          // Changed since we read it: the write that did so set the keys itself.
          if (!(error instanceof PreconditionFailedError)) throw error;
        }
      }
    };
    for (const sequences of partitionQueries(recordsByType.query({ type: 'sequence' }))) {
      await forEachQueryPage(table, sequences, 100, async (page) => {
        for (const sequence of page) await forEachQueryPage(table, enrollmentKeys.ofSequence(String(sequence.id)), 100, index);
      });
    }
    log(`indexed ${changed} enrollment(s) by contact`);
    return { changed };
  },
};
