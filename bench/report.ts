/**
 * Plain-text tables for the terminal. Numbers are formatted by the caller, so each
 * section decides its own precision; columns are right-aligned except the first.
 */
export type Cell = string | number;

export function table(title: string, header: readonly string[], rows: readonly (readonly Cell[])[], notes: readonly string[] = []): string {
  const text = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, column) => Math.max(...text.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [`\n## ${title}\n`, line(text[0]!), rule, ...text.slice(1).map(line), ...notes.map((note) => `  * ${note}`)].join('\n');
}

/** Fixed decimals; NaN and infinities print as "n/a". */
export function fixed(value: number | undefined, decimals = 2): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(decimals);
}

export const times = (value: number | undefined) => `${fixed(value, 2)}x`;
export const thousands = (value: number) => Math.round(value).toLocaleString('en-US');
