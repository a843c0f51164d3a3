import { catalogueWith, listEntriesOf } from '../domain/records/list-views';
import { recordTypes } from '../domain/records/record-model';
import { modelOf } from '../domain/records/record-models';
import { propertyDefinitionsFor } from '../domain/properties/property-use-cases';
import type { Migration } from './migration';
import { writeDerivedItems } from './reindex-records';

/**
 * Records written before lists could be combined and sorted have no list entries: writes the
 * entries of every live record (domain/records/list-views.ts). Until it has run, a combined or
 * sorted list misses older records; lists by one filter, latest update first, read indexes of
 * the record items and miss nothing.
 */
export const indexListEntries: Migration = {
  id: '0009-index-list-entries',
  description: 'Write the list entries of every record',
  async run({ table, log }) {
    const { records, items } = await writeDerivedItems(table, recordTypes, async (type) => {
      const catalogue = catalogueWith(modelOf(type).lists, await propertyDefinitionsFor({ table }, type));
      return (record) => listEntriesOf(type, catalogue, record);
    });
    log(`listed ${records} record(s) with ${items} list entr${items === 1 ? 'y' : 'ies'}`);
    return { changed: records };
  },
};
