import { csvRows } from '../shared/csv';
import type { PropertyDefinition } from '../properties/property-definition';
import type { CrmRecord, RecordModel } from '../records/record-model';

/**
 * How an exported record is written. Columns are the record's fields as the API returns
 * them, then one `properties.<name>` column per custom property defined when the export
 * started (so every part of the file has the same header). Lists of ids (associations,
 * tags) are joined with `;`; a field without a value is an empty cell. JSON Lines writes
 * each record as the API returns it, one per line.
 */

export const exportFormats = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof exportFormats)[number];

const LIST_SEPARATOR = ';';
const PROPERTY_PREFIX = 'properties.';

/** The columns of a CSV export of `model`'s records, with the custom properties defined now. */
export function exportColumns(model: RecordModel, definitions: readonly PropertyDefinition[]): string[] {
  const fields = Object.keys((model.recordSchema as unknown as { _zod: { def: { shape: Record<string, unknown> } } })._zod.def.shape).filter((field) => field !== 'properties');
  return [...fields, ...definitions.map((definition) => `${PROPERTY_PREFIX}${definition.name}`)];
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(cell).join(LIST_SEPARATOR);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function valueAt(record: CrmRecord, column: string): unknown {
  if (!column.startsWith(PROPERTY_PREFIX)) return record[column];
  return (record.properties as Record<string, unknown> | undefined)?.[column.slice(PROPERTY_PREFIX.length)];
}

/** The header line of a CSV export (JSON Lines has none). */
export const exportHeader = (format: ExportFormat, columns: readonly string[]): string => (format === 'csv' ? csvRows([columns]) : '');

/** Records as lines of the export file, in order. */
export function exportLines(format: ExportFormat, columns: readonly string[], records: readonly CrmRecord[]): string {
  if (format === 'jsonl') return records.map((record) => `${JSON.stringify(record)}\n`).join('');
  return csvRows(records.map((record) => columns.map((column) => cell(valueAt(record, column)))));
}
