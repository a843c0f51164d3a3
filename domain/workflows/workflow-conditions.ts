import type { FieldChange } from '../records/field-changes';
import type { ConditionGroup, WorkflowCondition } from './workflow';

/**
 * Whether a record (and the change that triggered the run) meets a workflow's conditions.
 * Pure: the trigger evaluates it on the event's record, a branch on the record read afresh.
 */

export interface ConditionSubject {
  readonly record: Record<string, unknown>;
  /** The change that triggered the run: what `changed`, `changedTo` and `changedFrom` look at. */
  readonly changes: readonly FieldChange[];
}

/** A field's value: `stageId`, or `properties.score` for a custom property. */
export function fieldValue(record: Record<string, unknown>, field: string): unknown {
  if (!field.startsWith('properties.')) return record[field];
  const properties = record.properties as Record<string, unknown> | undefined;
  return properties?.[field.slice('properties.'.length)];
}

const comparable = (value: unknown) => (typeof value === 'string' ? value.toLocaleLowerCase('en') : value);
const same = (a: unknown, b: unknown) => JSON.stringify(comparable(a ?? null)) === JSON.stringify(comparable(b ?? null));
const isEmpty = (value: unknown) => value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

function ordered(actual: unknown, expected: unknown): number | undefined {
  if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
  if (typeof actual === 'string' && typeof expected === 'string') return actual < expected ? -1 : actual > expected ? 1 : 0;
  return undefined;
}

export function meetsCondition(condition: WorkflowCondition, { record, changes }: ConditionSubject): boolean {
  const actual = fieldValue(record, condition.field);
  const expected = condition.value;
  const change = changes.find((candidate) => candidate.field === condition.field);
  switch (condition.operator) {
    case 'equals':
      return same(actual, expected);
    case 'notEquals':
      return !same(actual, expected);
    case 'in':
    case 'notIn': {
      const values = (expected as unknown[]).map(comparable);
      const candidates = (Array.isArray(actual) ? actual : [actual]).map(comparable);
      const found = candidates.some((candidate) => values.includes(candidate ?? null));
      return condition.operator === 'in' ? found : !found;
    }
    case 'changed':
      return change !== undefined;
    case 'changedTo':
      return change !== undefined && same(change.to, expected);
    case 'changedFrom':
      return change !== undefined && same(change.from, expected);
    case 'greaterThan':
      return (ordered(actual, expected) ?? 0) > 0;
    case 'lessThan':
      return (ordered(actual, expected) ?? 0) < 0;
    case 'contains':
      if (Array.isArray(actual)) return actual.some((element) => same(element, expected));
      return typeof actual === 'string' && typeof expected === 'string' && actual.toLocaleLowerCase('en').includes(expected.toLocaleLowerCase('en'));
    case 'isEmpty':
      return isEmpty(actual);
    case 'isNotEmpty':
      return !isEmpty(actual);
  }
}

/** No conditions: always. */
export function meetsConditions(group: ConditionGroup, subject: ConditionSubject): boolean {
  const conditions = group.conditions ?? [];
  if (conditions.length === 0) return true;
  return group.match === 'any' ? conditions.some((condition) => meetsCondition(condition, subject)) : conditions.every((condition) => meetsCondition(condition, subject));
}
