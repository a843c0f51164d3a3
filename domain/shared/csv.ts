import { stringify } from 'csv-stringify/sync';

/**
 * Rows as RFC 4180 CSV, CRLF after each: cells with a comma, a quote or a line break are
 * quoted. csv-stringify quotes the record delimiter itself (CRLF) but not a bare LF or CR,
 * which a reader takes for the end of the row: those are quoted too.
 */
export function csvRows(rows: readonly (readonly string[])[]): string {
  return rows.length === 0 ? '' : stringify(rows as string[][], { record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
}
