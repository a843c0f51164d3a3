import type { PropertyDefinition } from '../properties/property-definition';
import { propertyValueProblem } from '../properties/validate-property-values';
import { foldText } from '../search/search-terms';
import { ValidationError, type FieldIssue } from '../shared/errors';
import { orderedNumber, type ListQuery } from '../shared/key-design';
import { listEntries, listEntryKey, type ListEntryPartition, type SortRange, type UpdateRange } from '../shared/keys';
import type { Item, ItemKey } from '../shared/table-port';
import { collectionOf, type CrmRecord, type RecordType } from './record-model';

/**
 * Lists cut by several filters at once and sorted by a field of the user's choosing, each
 * answered by one index, never by a filter expression over a bigger list.
 *
 * Each record type declares a catalogue (its model's `lists`): the filters it can be cut by,
 * the fields it can be sorted by, and the views, the filter combinations users ask for, each
 * with its sort fields. A record belongs to one list per view and sort (one per value of a
 * multi-valued filter such as a tag): an entry item in its own partition, listed in gsi1 by
 * the view's filter values and sorted by the field's value (keys.ts `listEntries`). The
 * `recordIndexer` stream consumer keeps the entries, so they cost the API request nothing,
 * and lag it by about a second. A sort that an index on the record item itself already
 * answers (by last update: `recordsByOwner`, …) is declared `indexed` and writes no entry.
 *
 * A custom property marked filterable when it is defined adds its own view: equality for
 * text, enum and boolean properties (sorted by update or creation), and ranges for number and
 * date ones (the list sorted by the property). docs/data-model.md states what each view,
 * sort and filterable property costs per write.
 */

export type SortOrder = 'asc' | 'desc';
export const sortOrders: readonly SortOrder[] = ['asc', 'desc'];

/** How a field's values become sort-key text that sorts like the values. */
type SortKind = 'instant' | 'date' | 'number' | 'text';

export interface SortField {
  readonly name: string;
  readonly kind: SortKind;
  valueOf(record: CrmRecord): unknown;
  readonly defaultOrder: SortOrder;
  /** Records without a value are left out of the list (custom properties); otherwise they count as the largest value: last ascending, first descending, as in PostgreSQL. */
  readonly sparse?: boolean;
}

export interface FilterField {
  readonly name: string;
  /** The values of the record the filter matches: several for tags and links, none when it has none. */
  valuesOf(record: CrmRecord): readonly string[];
  /** The form a requested value is compared in (tags and text properties: case-folded). */
  normalize?(value: string): string;
}

/** A filter's requested value, by filter name. */
export type FilterValues = Readonly<Record<string, string>>;

export interface ListView {
  /** The filters the view is cut by, every one required; none for the whole type. */
  readonly filters: readonly string[];
  /** Sort fields kept as list entries. */
  readonly sorts: readonly string[];
  /** Sort fields an index on the record item itself answers (keys.ts): no entry is written for them. */
  readonly indexed?: Readonly<Record<string, (values: FilterValues, range: SortRange) => ListQuery>>;
  /** The view's own order when no sort, order or range is asked for (a pipeline's deals by stage), if not the latest update first. */
  readonly unsorted?: (values: FilterValues) => ListQuery;
}

export interface ListCatalogue {
  readonly filters: readonly FilterField[];
  readonly sorts: readonly SortField[];
  readonly views: readonly ListView[];
}

// ---------------------------------------------------------------------------------------
// Building blocks the models declare their catalogues with.

const textOf = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

export const instantSort = (name: string, defaultOrder: SortOrder = 'desc'): SortField => ({ name, kind: 'instant', valueOf: (record) => record[name], defaultOrder });
export const dateSort = (name: string): SortField => ({ name, kind: 'date', valueOf: (record) => record[name], defaultOrder: 'asc' });
export const numberSort = (name: string): SortField => ({ name, kind: 'number', valueOf: (record) => record[name], defaultOrder: 'desc' });
export const nameSort = (valueOf: (record: CrmRecord) => unknown): SortField => ({ name: 'name', kind: 'text', valueOf, defaultOrder: 'asc' });

/** Tags, industries and text properties match whatever their case (and however an accent was typed). */
export const caseFolded = (value: string) => value.normalize('NFC').trim().toLowerCase();

/** A field holding one value (an owner, a stage). */
export const singleValued = (name: string, normalize?: (value: string) => string): FilterField => ({
  name,
  valuesOf: (record) => {
    const value = textOf(record[name]);
    return value === undefined ? [] : [normalize ? normalize(value) : value];
  },
  ...(normalize ? { normalize } : {}),
});
/** A list field filtered by one of its values (`companyId` over `companyIds`). */
export const oneOf = (name: string, field: string): FilterField => ({
  name,
  valuesOf: (record) => (Array.isArray(record[field]) ? (record[field] as string[]) : []),
});
/** Tags, matched whatever their case. */
export const tagFilter: FilterField = {
  name: 'tag',
  valuesOf: (record) => [...new Set((Array.isArray(record.tags) ? (record.tags as string[]) : []).map(caseFolded))],
  normalize: caseFolded,
};

/** The bounds of a range on the update time, as the indexes sorted by update take them. */
export const updateRangeOf = ({ from, to }: SortRange): UpdateRange => ({ ...(from ? { updatedSince: from } : {}), ...(to ? { updatedBefore: to } : {}) });

// ---------------------------------------------------------------------------------------
// Custom properties marked filterable.

/** Longer text values get no list entry: nobody filters by a paragraph, and the entry's sort key must stay under 1 KB. */
export const MAX_FILTER_VALUE_LENGTH = 200;
/** A value is a key segment percent-encoded (up to 9 bytes a character): bounded so the sort key stays well under DynamoDB's 1,024 bytes. */
const MAX_FILTER_VALUE_KEY_BYTES = 600;
const fitsInKey = (text: string) => text.length > 0 && text.length <= MAX_FILTER_VALUE_LENGTH && encodeURIComponent(text).length <= MAX_FILTER_VALUE_KEY_BYTES;
const PROPERTY_PREFIX = 'properties.';
const rangedTypes = new Set(['number', 'date']);
export const propertyFilterName = (name: string) => `${PROPERTY_PREFIX}${name}`;
/** A filterable text, enum or boolean property's view sorts by creation, newest first: an update that keeps the value moves nothing. */
const PROPERTY_VIEW_SORT = 'createdAt';
const propertyValueOf = (record: CrmRecord, name: string) => (record.properties as Record<string, unknown> | undefined)?.[name];

function propertyFilter(definition: PropertyDefinition): FilterField {
  const normalize = definition.type === 'string' ? caseFolded : (value: string) => value;
  return {
    name: propertyFilterName(definition.name),
    valuesOf: (record) => {
      const value = propertyValueOf(record, definition.name);
      if (value === undefined || value === null) return [];
      const text = normalize(String(value));
      return fitsInKey(text) ? [text] : [];
    },
    normalize,
  };
}

/** The type's catalogue with the views of its filterable custom properties added. */
export function catalogueWith(catalogue: ListCatalogue, definitions: readonly PropertyDefinition[]): ListCatalogue {
  const filterable = definitions.filter((definition) => definition.filterable === true);
  if (filterable.length === 0) return catalogue;
  const ranged = filterable.filter((definition) => rangedTypes.has(definition.type));
  const matched = filterable.filter((definition) => !rangedTypes.has(definition.type));
  const propertySorts = ranged.map(
    (definition): SortField => ({ name: propertyFilterName(definition.name), kind: definition.type as 'number' | 'date', valueOf: (record) => propertyValueOf(record, definition.name), defaultOrder: 'asc', sparse: true }),
  );
  return {
    filters: [...catalogue.filters, ...matched.map(propertyFilter)],
    sorts: [...catalogue.sorts, ...propertySorts],
    views: [
      ...catalogue.views.map((view) => (view.filters.length === 0 ? { ...view, sorts: [...view.sorts, ...propertySorts.map((sort) => sort.name)] } : view)),
      ...matched.map((definition) => ({ filters: [propertyFilterName(definition.name)], sorts: [PROPERTY_VIEW_SORT] })),
    ],
  };
}

// ---------------------------------------------------------------------------------------
// Entries: what the record indexer writes for a record.

/** What a record without the field sorts as: after every value (UTF-8 F4 8F BF BD, past any letter of any script). */
const MISSING_VALUE = '\u{10FFFD}';

const viewName = (view: Pick<ListView, 'filters'>) => (view.filters.length === 0 ? 'all' : view.filters.join('+'));

/** The sort-key text of a value: it sorts as the value does. Undefined for no value (or a value of the wrong type). */
function sortTextOf(kind: SortKind, value: unknown): string | undefined {
  switch (kind) {
    case 'instant':
    case 'date':
      return textOf(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? orderedNumber(value) : undefined;
    case 'text':
      return typeof value === 'string' ? textOf(foldText(value)) : undefined;
  }
}

/** Every combination of the filters' values: a record tagged twice is in both tags' lists. */
function combinationsOf(valueLists: readonly (readonly string[])[]): string[][] {
  return valueLists.reduce<string[][]>((combinations, values) => combinations.flatMap((combination) => values.map((value) => [...combination, value])), [[]]);
}

/** The list entries of a record: one per view it belongs to, sort field and combination of filter values. */
export function listEntriesOf(type: RecordType, catalogue: ListCatalogue, record: CrmRecord): Item[] {
  const filters = new Map(catalogue.filters.map((filter) => [filter.name, filter]));
  const sorts = new Map(catalogue.sorts.map((sort) => [sort.name, sort]));
  const entries: Item[] = [];
  for (const view of catalogue.views) {
    const combinations = combinationsOf(view.filters.map((name) => filters.get(name)!.valuesOf(record)));
    if (combinations.length === 0) continue;
    for (const sortName of view.sorts) {
      const sort = sorts.get(sortName)!;
      const text = sortTextOf(sort.kind, sort.valueOf(record));
      if (text === undefined && sort.sparse) continue;
      for (const values of combinations) {
        const list: ListEntryPartition = { type, view: viewName(view), sort: sortName, values };
        entries.push({ ...listEntryKey(list, record.id), ...listEntries.attributes(list, { value: text ?? MISSING_VALUE, id: record.id }), entity: 'listEntry', recordType: type, recordId: record.id });
      }
    }
  }
  return entries;
}

/**
 * Entries a record may still have for custom properties that are no longer defined: when a
 * property is deleted, its definition is gone before the follow-up takes its values away, so
 * the entries of the old values are derived from nothing. Asked for only when the value of an
 * undefined property is removed or changed; deleting an entry never written changes nothing.
 */
export function leftoverEntryKeysOf(type: RecordType, definitions: readonly PropertyDefinition[], before: CrmRecord, after: CrmRecord | undefined): ItemKey[] {
  const defined = new Set(definitions.map((definition) => definition.name));
  const keys: ItemKey[] = [];
  for (const [name, value] of Object.entries((before.properties as Record<string, unknown> | undefined) ?? {})) {
    const unchanged = after !== undefined && propertyValueOf(after, name) === value;
    if (defined.has(name) || value === null || value === undefined || unchanged) continue;
    const field = propertyFilterName(name);
    const text = String(value);
    for (const stored of new Set([text, caseFolded(text)])) {
      if (fitsInKey(stored)) keys.push(listEntryKey({ type, view: viewName({ filters: [field] }), sort: PROPERTY_VIEW_SORT, values: [stored] }, before.id));
    }
    keys.push(listEntryKey({ type, view: viewName({ filters: [] }), sort: field, values: [] }, before.id));
  }
  return keys;
}

// ---------------------------------------------------------------------------------------
// Planning a list request.

export type ListPlan =
  /** The index lists the record items themselves (or the links to them: `linkedRecords`). */
  | { readonly kind: 'records'; readonly query: ListQuery }
  /** The index lists entries: the page reads the records they name, and keeps those that still match. */
  | { readonly kind: 'entries'; readonly query: ListQuery; matches(record: CrmRecord): boolean };

interface RequestedRange {
  readonly field: string;
  gte?: string;
  lte?: string;
  /** The query parameters that asked for it (`updatedSince`, `amount.gte`, …), for the 400s. */
  readonly keys: string[];
}

const describeView = (view: ListView) =>
  `${view.filters.length === 0 ? '(no filter)' : view.filters.join(' + ')} sorted by ${[...Object.keys(view.indexed ?? {}), ...view.sorts].join(', ')}`;

/** What a catalogue supports, for the 400 that refuses a combination it does not. */
function supportedViews(catalogue: ListCatalogue): string {
  return catalogue.views.map(describeView).join('; ');
}

function propertyProblem(name: string, filterable: readonly string[]): ValidationError {
  return new ValidationError(
    `No filterable custom property ${name}. Filterable: ${filterable.length > 0 ? filterable.join(', ') : 'none'} (mark a property filterable when defining it).`,
    [{ field: `query.${PROPERTY_PREFIX}${name}`, message: 'not a filterable custom property' }],
  );
}

/** A number as a query string writes it: digits, a fraction, an exponent (no hex, no `Infinity`). */
export const decimalText = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/**
 * A requested custom property value in the form its entries store it, or the reason it cannot
 * be one: read as the type it claims (a number, a boolean), then checked as a stored value is.
 */
function propertyValueText(definition: PropertyDefinition, raw: string): string | { readonly problem: string } {
  const value = definition.type === 'number' && decimalText.test(raw) ? Number(raw) : definition.type === 'boolean' && (raw === 'true' || raw === 'false') ? raw === 'true' : raw;
  const problem = propertyValueProblem(definition, value);
  if (problem) return { problem };
  if (rangedTypes.has(definition.type)) return sortTextOf(definition.type as 'number' | 'date', value)!;
  const text = propertyFilter(definition).normalize!(String(value));
  return fitsInKey(text) ? text : { problem: `expected 1 to ${MAX_FILTER_VALUE_LENGTH} characters, at most ${MAX_FILTER_VALUE_KEY_BYTES} bytes percent-encoded (longer values are not listed)` };
}

/**
 * The one index that answers a list request (its filters, `sort`, `order` and ranges `<field>.gte` /
 * `<field>.lte`), or a 400 that says what the type supports. Query values arrive parsed by
 * the list's zod schema, except custom properties' (`properties.<name>`), checked here
 * against their definitions.
 */
export function planList(type: RecordType, base: ListCatalogue, definitions: readonly PropertyDefinition[], request: Record<string, unknown>): ListPlan {
  const catalogue = catalogueWith(base, definitions);
  const filters = new Map(catalogue.filters.map((filter) => [filter.name, filter]));
  const sorts = new Map(catalogue.sorts.map((sort) => [sort.name, sort]));
  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  const filterable = definitions.filter((definition) => definition.filterable === true).map((definition) => definition.name);

  const equal = new Map<string, string>();
  const ranges = new Map<string, RequestedRange>();
  const rangeOf = (field: string, key: string) => {
    const range = ranges.get(field) ?? ranges.set(field, { field, keys: [] }).get(field)!;
    range.keys.push(key);
    return range;
  };
  const issues: FieldIssue[] = [];
  for (const [key, value] of Object.entries(request)) {
    if (value === undefined || ['limit', 'cursor', 'sort', 'order'].includes(key)) continue;
    if (key === 'updatedSince') {
      rangeOf('updatedAt', key).gte = value as string;
    } else if (key.startsWith(PROPERTY_PREFIX)) {
      const [name, bound] = key.slice(PROPERTY_PREFIX.length).split('.') as [string, 'gte' | 'lte' | undefined];
      const definition = byName.get(name);
      if (!definition || definition.filterable !== true) throw propertyProblem(name, filterable);
      const text = propertyValueText(definition, String(value));
      if (typeof text !== 'string') {
        issues.push({ field: `query.${key}`, message: text.problem });
      } else if (rangedTypes.has(definition.type)) {
        const range = rangeOf(key.slice(0, PROPERTY_PREFIX.length + name.length), key);
        // Equality on a number or date is the range from the value to itself.
        if (bound !== 'lte') range.gte = text;
        if (bound !== 'gte') range.lte = text;
      } else if (bound) {
        issues.push({ field: `query.${key}`, message: `ranges apply to number and date properties; ${name} is ${definition.type === 'enum' ? 'an enum' : `a ${definition.type}`}` });
      } else {
        equal.set(propertyFilterName(name), text);
      }
    } else if (key.endsWith('.gte') || key.endsWith('.lte')) {
      const field = key.slice(0, -4);
      const sort = sorts.get(field)!;
      rangeOf(field, key)[key.endsWith('.gte') ? 'gte' : 'lte'] = sortTextOf(sort.kind, sort.kind === 'number' ? Number(value) : value)!;
    } else if (filters.has(key)) {
      const filter = filters.get(key)!;
      equal.set(key, filter.normalize ? filter.normalize(String(value)) : String(value));
    }
  }
  if (issues.length > 0) throw new ValidationError('Some custom property filters are not valid.', issues);
  if (ranges.size > 1) {
    throw new ValidationError('A list takes a range on one field: the field it is sorted by.', [...ranges.values()].flatMap((range) => range.keys.map((key) => ({ field: `query.${key}`, message: 'one range field at a time' }))));
  }
  const range = [...ranges.values()][0];
  const requestedSort = request.sort as string | undefined;
  if (range && requestedSort && requestedSort !== range.field) {
    throw new ValidationError(`A range on ${range.field} sorts the list by ${range.field}.`, [{ field: 'query.sort', message: `must be ${range.field} (or left out) with a range on it` }]);
  }

  const asked = [...equal.keys()];
  const view = catalogue.views.find((candidate) => candidate.filters.length === asked.length && candidate.filters.every((name) => equal.has(name)));
  if (!view) {
    throw new ValidationError(
      `${asked.join(' + ')} cannot be combined in one list of ${collectionOf[type]}. Supported: ${supportedViews(catalogue)}.`,
      asked.map((name) => ({ field: `query.${name}`, message: 'this combination of filters is not supported' })),
    );
  }
  const values = Object.fromEntries(equal);
  if (!requestedSort && !range && request.order === undefined && view.unsorted) return { kind: 'records', query: view.unsorted(values) };

  const offered = [...Object.keys(view.indexed ?? {}), ...view.sorts];
  const filtered = view.filters.length === 0 ? `${collectionOf[type]}` : `${collectionOf[type]} filtered by ${view.filters.join(' + ')}`;
  const askedFor = requestedSort ? ['sort'] : range ? range.keys : ['order'];
  if (offered.length === 0) {
    throw new ValidationError(`Lists of ${filtered} have one order of their own: they take no sort, order or range.`, askedFor.map((key) => ({ field: `query.${key}`, message: 'not offered by this list' })));
  }
  // Latest update first, where the view offers it; else its first sort (a user's open tasks: by due time).
  const sortName = requestedSort ?? range?.field ?? (offered.includes('updatedAt') ? 'updatedAt' : offered[0]!);
  const sort = sorts.get(sortName);
  const indexed = view.indexed?.[sortName];
  if (!sort || (!indexed && !view.sorts.includes(sortName))) {
    throw new ValidationError(`Lists of ${filtered} sort by ${offered.join(', ')}.`, askedFor.map((key) => ({ field: `query.${key}`, message: 'not a sort of this list' })));
  }
  if (range?.gte !== undefined && range.lte !== undefined && range.gte > range.lte) {
    throw new ValidationError(`The range on ${range.field} ends before it starts.`, range.keys.map((key) => ({ field: `query.${key}`, message: 'the range ends before it starts' })));
  }
  const sortRange: SortRange = { ...(range?.gte !== undefined ? { from: range.gte } : {}), ...(range?.lte !== undefined ? { to: range.lte } : {}) };
  const ascending = ((request.order as SortOrder | undefined) ?? sort.defaultOrder) === 'asc';
  if (indexed) return { kind: 'records', query: { ...indexed(values, sortRange), ascending } };

  const list: ListEntryPartition = { type, view: viewName(view), sort: sortName, values: view.filters.map((name) => values[name]!) };
  return {
    kind: 'entries',
    query: { ...listEntries.query(list, sortRange), ascending },
    // An entry may lag its record: a record that no longer matches the request is left out of the page.
    matches: (record) => {
      if (!view.filters.every((name) => filters.get(name)!.valuesOf(record).includes(values[name]!))) return false;
      if (!range && !sort.sparse) return true;
      const text = sortTextOf(sort.kind, sort.valueOf(record));
      return text !== undefined && (range?.gte === undefined || text >= range.gte) && (range?.lte === undefined || text <= range.lte);
    },
  };
}
