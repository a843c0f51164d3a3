import { requireCapability } from '../access/permissions';
import { auditOp, type AuditEntry } from '../audit/audit-entries';
import { changedFields, type FieldChange } from '../records/field-changes';
import type { Actor } from '../shared/actor';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../shared/errors';
import { singlePartition } from '../shared/key-design';
import { propertyDefinitionKeys } from '../shared/keys';
import type { PageRequest } from '../shared/page';
import { forEachQueryPage, listPage } from '../shared/pagination';
import type { CoreDependencies } from '../shared/dependencies';
import type { Item } from '../shared/table-port';
import { requireIfMatch, retryLostRaces, type IfMatch } from '../shared/optimistic-retry';
import type { Page } from '../shared/page';
import {
  MAX_PROPERTIES_PER_TYPE,
  objectTypeOf,
  type ObjectTypeParam,
  type PropertyCreate,
  type PropertyDefinition,
  type PropertyUpdate,
} from './property-definition';
import type { RecordType } from '../records/record-model';
import { storedValue } from '../shared/stored-item';

export type PropertyDependencies = CoreDependencies;

const audit = (deps: PropertyDependencies, actor: Actor, definition: PropertyDefinition, at: string, event: AuditEntry['event'], changes: FieldChange[] = []) =>
  auditOp({ recordType: 'property', recordId: `${definition.objectType}/${definition.name}`, at, entryId: deps.ids.next(), actor, event, changes });

const toItem = (definition: PropertyDefinition): Item => ({
  ...definition,
  ...propertyDefinitionKeys.definition(objectTypeOf[definition.objectType], definition.name),
  entity: 'propertyDefinition',
});

/** The definition an item holds (as stored, or as the stream reports it). */
export const propertyDefinitionOfItem = (item: Item): PropertyDefinition => storedValue<PropertyDefinition>(item);

/** All definitions of a type, for validating values (at most 500, so a few pages at worst). */
export async function propertyDefinitionsFor(deps: Pick<PropertyDependencies, 'table'>, type: RecordType): Promise<PropertyDefinition[]> {
  const definitions: PropertyDefinition[] = [];
  await forEachQueryPage(deps.table, propertyDefinitionKeys.definitionsOf(type), MAX_PROPERTIES_PER_TYPE, (page) => void definitions.push(...page.map(propertyDefinitionOfItem)));
  return definitions;
}

export async function listPropertyDefinitions(deps: PropertyDependencies, objectType: ObjectTypeParam, page: PageRequest, actor: Actor): Promise<Page<PropertyDefinition>> {
  requireCapability(actor, 'readRecords', 'list properties');
  return listPage(deps.table, singlePartition(propertyDefinitionKeys.definitionsOf(objectTypeOf[objectType])), page, propertyDefinitionOfItem);
}

export async function getPropertyDefinition(deps: PropertyDependencies, objectType: ObjectTypeParam, name: string, actor: Actor): Promise<PropertyDefinition> {
  requireCapability(actor, 'readRecords', 'read properties');
  return requireDefinition(deps, objectType, name);
}

async function requireDefinition(deps: PropertyDependencies, objectType: ObjectTypeParam, name: string): Promise<PropertyDefinition> {
  const item = await deps.table.getItem(propertyDefinitionKeys.definition(objectTypeOf[objectType], name));
  if (!item) throw new NotFoundError('property', `${objectType}/${name}`);
  return propertyDefinitionOfItem(item);
}

/**
 * Defines a custom property. A definition's key is its name, so an idempotent request
 * retried after a crash finds the definition its first attempt wrote: when that definition
 * is exactly what the request asks for, it is the answer rather than a 409.
 */
export async function createPropertyDefinition(
  deps: PropertyDependencies,
  objectType: ObjectTypeParam,
  input: PropertyCreate,
  actor: Actor,
  options: { readonly idempotent?: boolean } = {},
): Promise<PropertyDefinition> {
  requireCapability(actor, 'manageSchema', 'define properties');
  const existing = await propertyDefinitionsFor(deps, objectTypeOf[objectType]);
  if (existing.length >= MAX_PROPERTIES_PER_TYPE) {
    throw new ValidationError(`At most ${MAX_PROPERTIES_PER_TYPE} custom properties per object type.`, [{ field: 'path.objectType', message: 'limit reached' }]);
  }
  const now = deps.clock.now().toISOString();
  const definition: PropertyDefinition = { ...input, objectType, createdAt: now, updatedAt: now, version: 1 };
  try {
    await deps.table.transactWrite([
      {
        op: 'put',
        item: toItem(definition),
        condition: { kind: 'absent' },
        onConditionFailed: () => new ConflictError(`Property ${input.name} already exists on ${objectType}.`, { field: 'name' }),
      },
      audit(deps, actor, definition, now, 'created'),
    ]);
    return definition;
  } catch (error) {
    if (!(error instanceof ConflictError) || !options.idempotent) throw error;
    const existing = await deps.table.getItem(propertyDefinitionKeys.definition(objectTypeOf[objectType], input.name));
    const found = existing ? propertyDefinitionOfItem(existing) : undefined;
    if (!found || !definesTheSame(found, input)) throw error;
    return found;
  }
}

const definesTheSame = (definition: PropertyDefinition, input: PropertyCreate) =>
  JSON.stringify([definition.name, definition.label, definition.type, definition.description ?? null, definition.options ?? null, definition.filterable ?? false]) ===
  JSON.stringify([input.name, input.label, input.type, input.description ?? null, input.options ?? null, input.filterable ?? false]);

export async function updatePropertyDefinition(
  deps: PropertyDependencies,
  objectType: ObjectTypeParam,
  name: string,
  patch: PropertyUpdate,
  actor: Actor,
  ifMatch?: IfMatch,
): Promise<PropertyDefinition> {
  requireCapability(actor, 'manageSchema', 'change properties');
  return retryLostRaces(deps.clock, { resource: 'property', id: `${objectType}/${name}`, ...(ifMatch ? { ifMatch } : {}) }, async () => {
    const current = await requireDefinition(deps, objectType, name);
    requireIfMatch(ifMatch, current.version);
    if (patch.options && current.type !== 'enum') {
      throw new ValidationError('Only enum properties have options.', [{ field: 'body.options', message: `property type is ${current.type}` }]);
    }
    const { description, ...rest } = patch;
    const next: PropertyDefinition = {
      ...current,
      ...rest,
      ...(description === null ? { description: undefined } : description !== undefined ? { description } : {}),
      updatedAt: deps.clock.now().toISOString(),
      version: current.version + 1,
    };
    const changes = changedFields(current, next, ['label', 'description', 'options']);
    await deps.table.transactWrite([
      { op: 'put', item: toItem(next), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new PreconditionFailedError() },
      audit(deps, actor, next, next.updatedAt, 'updated', changes),
    ]);
    return next;
  });
}

/**
 * Removes the definition. Its values leave every record of the type in the background
 * (domain/records/schema-follow-up.ts, from the table's stream): seconds to minutes,
 * depending on how many records the type has.
 */
export async function deletePropertyDefinition(deps: PropertyDependencies, objectType: ObjectTypeParam, name: string, actor: Actor, ifMatch?: IfMatch): Promise<void> {
  requireCapability(actor, 'manageSchema', 'delete properties');
  await retryLostRaces(deps.clock, { resource: 'property', id: `${objectType}/${name}`, ...(ifMatch ? { ifMatch } : {}) }, async () => {
    const current = await requireDefinition(deps, objectType, name);
    requireIfMatch(ifMatch, current.version);
    await deps.table.transactWrite([
      { op: 'delete', key: propertyDefinitionKeys.definition(objectTypeOf[objectType], name), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new PreconditionFailedError() },
      audit(deps, actor, current, deps.clock.now().toISOString(), 'deleted'),
    ]);
  });
}
