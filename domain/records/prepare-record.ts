import { validatePropertyValues } from '../properties/validate-property-values';
import { ValidationError } from '../shared/errors';
import { toRecordFields } from './record-items';
import type { RecordDependencies } from './record-dependencies';
import type { CrmRecord, RecordModel } from './record-model';
import type { WriteOp } from '../shared/table-port';

const withoutNulls = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null && value !== undefined));

/**
 * Turns validated input into the record to store: checks custom property values
 * against their definitions (only the ones this write sets), merges properties
 * key by key, and applies the type's derived fields.
 */
export async function prepareRecord(
  deps: RecordDependencies,
  model: RecordModel,
  base: Partial<CrmRecord> & { id: string; createdAt: string; version: number },
  input: Record<string, unknown>,
  now: string,
  strict = true,
): Promise<{ record: CrmRecord; guards: WriteOp[] }> {
  const { properties: propertyInput, ...fields } = input;
  let properties = (base.properties as Record<string, unknown> | undefined) ?? {};
  if (propertyInput && typeof propertyInput === 'object') {
    const values = propertyInput as Record<string, unknown>;
    if (Object.values(values).some((value) => value !== null)) {
      const issues = validatePropertyValues(values, await deps.propertyDefinitions(model.type));
      if (issues.length > 0) throw new ValidationError('Some custom property values are not valid.', issues);
    }
    properties = withoutNulls({ ...properties, ...values });
  } else if (propertyInput === null) {
    properties = {};
  }
  const draft: Record<string, unknown> = { ...base, ...fields, properties };
  const guards: WriteOp[] = [];
  const context = { now, strict, isNew: base.version === 1, getPipeline: deps.getPipeline, changedFields: new Set(Object.keys(input)), guard: (op: WriteOp) => void guards.push(op) };
  const derived = model.derive ? await model.derive(draft, context) : {};
  return { record: toRecordFields({ ...draft, ...derived, updatedAt: now, version: base.version }), guards };
}
