import { PreconditionFailedError } from '../domain/shared/errors';
import { partitionQueries } from '../domain/shared/key-design';
import { enrollmentKeys, recordsByType } from '../domain/shared/keys';
import type { CrmTablePort, Item, KeyQuery, PageKey } from '../domain/shared/table-port';
import { enrollmentToItem, itemToEnrollment } from '../domain/sequences/sequence-items';
import type { Migration } from './migration';

/** Every item a Query finds, page by page. */
async function everyItem(table: CrmTablePort, query: KeyQuery, visit: (item: Item) => Promise<void>): Promise<void> {
  let startKey: PageKey | undefined;
  do {
    const page = await table.query(query, { limit: 100, ...(startKey ? { startKey } : {}) });
    for (const item of page.items) await visit(item);
    startKey = page.lastKey;
  } while (startKey);
}

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
    for (const sequences of partitionQueries(recordsByType.query({ type: 'sequence' }))) {
      await everyItem(table, sequences, async (sequence) => {
        await everyItem(table, enrollmentKeys.ofSequence(String(sequence.id)), async (item) => {
          if (item.gsi2pk) return;
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
        });
      });
    }
    log(`indexed ${changed} enrollment(s) by contact`);
    return { changed };
  },
};
