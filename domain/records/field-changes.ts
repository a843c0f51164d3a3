import type { CrmRecord } from './record-model';

export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

const bookkeeping = new Set(['id', 'createdAt', 'updatedAt', 'version']);
/**
 * Long texts (an activity body) are shortened in the history, which holds old and new side
 * by side; so are large structured values (a sequence's steps with HTML bodies copied in),
 * which would otherwise push an audit entry past DynamoDB's item limit.
 */
const MAX_RECORDED_TEXT = 1_000;
const MAX_RECORDED_JSON = 4 * MAX_RECORDED_TEXT;
function recorded(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_RECORDED_TEXT ? `${value.slice(0, MAX_RECORDED_TEXT)}… (${value.length} characters)` : value;
  if (value === null || typeof value !== 'object') return value;
  const json = JSON.stringify(value);
  return json.length > MAX_RECORDED_JSON ? `(${json.length} characters of JSON, too long to keep in the history)` : value;
}

function flatten(record: Record<string, unknown>): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const [name, value] of Object.entries(record)) {
    if (bookkeeping.has(name)) continue;
    if (name === 'properties' && value && typeof value === 'object') {
      for (const [property, propertyValue] of Object.entries(value)) fields.set(`properties.${property}`, propertyValue);
    } else {
      fields.set(name, value);
    }
  }
  return fields;
}

/** Changes among named top-level fields of two versions of a pipeline or property definition. */
export function changedFields<T extends object>(before: T, after: T, fields: readonly (keyof T & string)[]): FieldChange[] {
  return fields
    .filter((field) => JSON.stringify(before[field] ?? null) !== JSON.stringify(after[field] ?? null))
    .map((field) => ({ field, from: recorded(before[field] ?? null), to: recorded(after[field] ?? null) }));
}

/** Field-level differences, the unit of a timeline change entry (old → new). */
export function diffRecords(before: CrmRecord, after: CrmRecord): FieldChange[] {
  const old = flatten(before);
  const next = flatten(after);
  const changes: FieldChange[] = [];
  for (const field of new Set([...old.keys(), ...next.keys()])) {
    const from = old.get(field) ?? null;
    const to = next.get(field) ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ field, from: recorded(from), to: recorded(to) });
  }
  return changes.sort((a, b) => a.field.localeCompare(b.field));
}
