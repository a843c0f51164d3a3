import type { FieldIssue } from '../shared/errors';
import type { PropertyDefinition } from './property-definition';

const isCalendarDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);

/** What is wrong with a value of a property (undefined: nothing); a list filter's value is checked the same way. */
export function propertyValueProblem(definition: PropertyDefinition, value: unknown): string | undefined {
  switch (definition.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'expected a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'expected a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected true or false';
    case 'date':
      return typeof value === 'string' && isCalendarDate(value) ? undefined : 'expected a date YYYY-MM-DD';
    case 'enum': {
      const allowed = (definition.options ?? []).map((option) => option.value);
      return typeof value === 'string' && allowed.includes(value) ? undefined : `expected one of ${allowed.join(', ')}`;
    }
  }
}

/** Issues for custom property values that break their definitions; null always clears. */
export function validatePropertyValues(values: Record<string, unknown>, definitions: readonly PropertyDefinition[]): FieldIssue[] {
  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === null) continue;
    const definition = byName.get(name);
    const problem = definition ? propertyValueProblem(definition, value) : 'no such property is defined for this object type';
    if (problem) issues.push({ field: `body.properties.${name}`, message: problem });
  }
  return issues;
}
