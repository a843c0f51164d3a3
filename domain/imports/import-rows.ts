import type { PropertyDefinition } from '../properties/property-definition';
import type { RecordModel, RecordType } from '../records/record-model';
import { inputFieldsOf } from '../records/schema-helpers';
import { ValidationError } from '../shared/errors';
import { csvDelimiters, type CsvDelimiter } from './import-job';

/**
 * How a CSV row becomes a record's input: which column feeds which field (a mapping sent
 * with the import, or guessed from the headers), and each cell read as that field takes it.
 * Cells are text: lists (`tags`, `companyIds`) are split on `;`, as exports join them; custom
 * properties are read as their definition's type; an empty cell sets nothing.
 */

const PROPERTY_PREFIX = 'properties.';
const LIST_SEPARATOR = ';';

/**
 * Columns that name related records by their keys, as CRM files carry them (a contact's
 * company by its domain, a deal's contacts by their emails, an activity's deals by their
 * external ids), and the field of each importable type they fill with those records' ids.
 * Several keys in one cell are `;`-separated.
 */
export const associationColumns = {
  companyDomain: { target: 'company', fieldOf: { contact: 'companyIds', deal: 'companyId', activity: 'companyIds' } },
  contactEmails: { target: 'contact', fieldOf: { deal: 'contactIds', activity: 'contactIds' } },
  dealExternalIds: { target: 'deal', fieldOf: { activity: 'dealIds' } },
} as const satisfies Record<string, { readonly target: RecordType; readonly fieldOf: Partial<Record<RecordType, string>> }>;
export type AssociationColumn = keyof typeof associationColumns;
const isAssociationColumn = (target: string): target is AssociationColumn => Object.hasOwn(associationColumns, target);
const associationColumnsOf = (type: RecordType) => (Object.keys(associationColumns) as AssociationColumn[]).filter((column) => type in associationColumns[column].fieldOf);

/** The field of a record of `type` a column mapped to `target` fills: the target itself, or an association column's field (the target, for a type it does not fill, which no mapping may name). */
export const fieldFedBy = (type: RecordType, target: string): string =>
  (isAssociationColumn(target) ? (associationColumns[target].fieldOf as Partial<Record<RecordType, string>>)[type] : undefined) ?? target;

/** Fields read from a column as a `;`-separated list. */
const listFields = new Set(['tags', 'companyIds', 'contactIds', 'dealIds']);
/** Fields read from a column as a number (a deal's amount, a call's minutes). */
const numberFields = new Set(['amount', 'durationMinutes']);

/**
 * Header spellings other CRMs and spreadsheets use, once lower-cased and stripped of all but
 * letters and digits; several fields in order of preference where the same header means one
 * thing for one type and another for another (`Deal Id`: an activity's deal, a deal's own id).
 */
const aliases: Readonly<Record<string, string | readonly string[]>> = {
  emailaddress: 'email',
  mail: 'email',
  givenname: 'firstName',
  forename: 'firstName',
  first: 'firstName',
  surname: 'lastName',
  familyname: 'lastName',
  last: 'lastName',
  phonenumber: 'phone',
  telephone: 'phone',
  mobile: 'phone',
  jobtitle: 'title',
  position: 'title',
  stage: 'lifecycleStage',
  owner: 'ownerId',
  companyname: 'name',
  website: 'domain',
  companywebsite: 'companyDomain',
  contactemail: 'contactEmails',
  contactemails: 'contactEmails',
  dealid: ['dealExternalIds', 'externalId'],
  activityid: 'externalId',
  recordid: 'externalId',
  sourceid: 'externalId',
  employees: 'size',
  labels: 'tags',
  dealname: 'name',
  closedate: 'expectedCloseDate',
  pipeline: 'pipelineId',
  dealstage: 'stageId',
  activitytype: 'kind',
  type: 'kind',
  notes: 'body',
  description: 'body',
  date: 'occurredAt',
  duedate: 'dueAt',
  externalid: 'externalId',
};

const folded = (text: string) =>
  text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

/** Fields a column can feed, for this type and the custom properties defined now. */
export function importTargets(model: RecordModel, definitions: readonly PropertyDefinition[]): string[] {
  const fields = inputFieldsOf(model).filter((field) => field !== 'properties');
  return [...fields, ...associationColumnsOf(model.type), ...definitions.map((definition) => `${PROPERTY_PREFIX}${definition.name}`)];
}

/** A guess at each header's field: its name or label folded (`E-mail Address` → `emailaddress`; an export's `properties.<name>` too), then common aliases; null when nothing fits. */
export function guessMapping(type: RecordType, headers: readonly string[], targets: readonly string[], definitions: readonly PropertyDefinition[]): Record<string, string | null> {
  const byFolded = new Map<string, string>();
  for (const definition of definitions) byFolded.set(folded(definition.label ?? definition.name), `${PROPERTY_PREFIX}${definition.name}`);
  // A property's own name, bare or as an export writes it (`properties.seats`), over another's label.
  for (const target of targets) {
    if (target.startsWith(PROPERTY_PREFIX)) byFolded.set(folded(target.slice(PROPERTY_PREFIX.length)), target);
    byFolded.set(folded(target), target);
  }
  const taken = new Set<string>();
  const mapping: Record<string, string | null> = {};
  for (const header of headers) {
    // A header named twice is guessed once, by its first column: checkMapping refuses it unless mapped to null.
    if (Object.hasOwn(mapping, header)) continue;
    const key = folded(header);
    const target = byFolded.get(key) ?? [aliases[key] ?? []].flat().find((alias) => targets.includes(alias));
    // A second column for the same field (`companyIds`, `Company Website`: a contact's companies both) is left out: which one the user meant is theirs to say.
    const field = target && fieldFedBy(type, target);
    mapping[header] = field && !taken.has(field) ? target! : null;
    if (field) taken.add(field);
  }
  return mapping;
}

/**
 * The mapping checked against the fields there are and, once the file is there, its header
 * (`headers`; before that, undefined): what is wrong is a 400 naming it.
 */
export function checkMapping(type: RecordType, mapping: Readonly<Record<string, string | null>>, headers: readonly string[] | undefined, targets: readonly string[]): void {
  const issues: { field: string; message: string }[] = [];
  // By the field a column fills: `companyIds` and `companyDomain` both set a contact's companies, and one would silently win.
  const fedBy = new Map<string, string>();
  for (const [header, target] of Object.entries(mapping)) {
    // Not even to null: such columns are never read, and an empty name cannot be kept (DynamoDB refuses empty attribute names).
    if (header === '') issues.push({ field: 'mapping', message: 'a column with no header is never read: leave it out of the mapping, or name it in the file to map it' });
    else if (headers && !headers.includes(header)) issues.push({ field: `mapping.${header}`, message: `the file has no column "${header}" (its header: ${headers.join(', ')})` });
    if (target === null) continue;
    if (!targets.includes(target)) issues.push({ field: `mapping.${header}`, message: `unknown field "${target}"; one of: ${targets.join(', ')}` });
    const field = fieldFedBy(type, target);
    if (fedBy.has(field)) issues.push({ field: `mapping.${header}`, message: `"${fedBy.get(field)}" feeds ${field === target ? `"${target}"` : `"${field}" (as "${target}" would)`} already: map one of them to null` });
    fedBy.set(field, header);
  }
  // A mapping names columns by their header: of two columns named alike, only one could be read, and which is the user's to say.
  for (const [header, columns] of columnsByHeader(headers ?? [])) {
    if (columns.length > 1 && mapping[header] !== null) {
      issues.push({ field: `mapping.${header}`, message: `the header names "${header}" ${columns.length} times (columns ${columns.join(', ')}): rename all but one, or map "${header}" to null to skip them` });
    }
  }
  if (issues.length > 0) throw new ValidationError(headers ? "The mapping does not fit the file's header." : 'The mapping names fields there are not.', issues);
}

/** Each non-empty header name and the columns (from 1) it names; empty ones are columns nobody named, never read. */
function columnsByHeader(headers: readonly string[]): Map<string, number[]> {
  const columns = new Map<string, number[]>();
  headers.forEach((header, index) => header !== '' && columns.set(header, [...(columns.get(header) ?? []), index + 1]));
  return columns;
}

/** Which of comma, semicolon and tab the header line holds most of, outside quotes. */
export function detectDelimiter(headerLine: string): CsvDelimiter {
  const counts = new Map<string, number>(csvDelimiters.map((delimiter) => [delimiter, 0]));
  let quoted = false;
  for (const character of headerLine) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && counts.has(character)) counts.set(character, counts.get(character)! + 1);
  }
  return [...counts.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0] as CsvDelimiter;
}

const booleans: Readonly<Record<string, boolean>> = { true: true, yes: true, y: true, '1': true, false: false, no: false, n: false, '0': false };

/** A number as a spreadsheet writes it (`12,000`, `12 000.50`); the cell as it is when it is none, for validation to name. */
function numberValue(cell: string): number | string {
  const number = Number(cell.replace(/[\s,](?=\d{3}\b)/g, ''));
  return Number.isFinite(number) ? number : cell;
}

function propertyValue(cell: string, definition: PropertyDefinition | undefined): unknown {
  if (definition?.type === 'number') return numberValue(cell);
  if (definition?.type === 'boolean') return booleans[cell.toLowerCase()] ?? cell;
  return cell;
}

export interface RowInput {
  /** The record's input as the API would take it, without the related records named by key. */
  readonly input: Record<string, unknown>;
  /** Related records to find by their keys (association columns), each column's keys as the cell lists them. */
  readonly related: readonly { readonly column: AssociationColumn; readonly keys: readonly string[] }[];
}

const listOf = (cell: string) =>
  cell
    .split(LIST_SEPARATOR)
    .map((value) => value.trim())
    .filter((value) => value !== '');

/** A row's cells as a record's input, by the mapping's column positions. */
export function rowInput(values: readonly string[], columns: readonly { readonly index: number; readonly target: string }[], definitions: ReadonlyMap<string, PropertyDefinition>): RowInput {
  const input: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  const related: { column: AssociationColumn; keys: string[] }[] = [];
  for (const { index, target } of columns) {
    const cell = (values[index] ?? '').trim();
    if (cell === '') continue;
    if (isAssociationColumn(target)) related.push({ column: target, keys: listOf(cell) });
    else if (target.startsWith(PROPERTY_PREFIX)) {
      const name = target.slice(PROPERTY_PREFIX.length);
      properties[name] = propertyValue(cell, definitions.get(name));
    } else if (listFields.has(target)) input[target] = listOf(cell);
    else input[target] = numberFields.has(target) ? numberValue(cell) : cell;
  }
  if (Object.keys(properties).length > 0) input.properties = properties;
  return { input, related };
}

/**
 * The ids of a row's related records put into the fields they fill (joined with ids the row
 * gives itself), or the reason one cannot be: a key that finds no record, or several for a
 * field that holds one.
 */
export async function withRelatedRecords(
  type: RecordType,
  row: RowInput,
  find: (target: RecordType, key: string) => Promise<{ readonly id: string } | undefined>,
): Promise<{ readonly input: Record<string, unknown> } | { readonly reason: string }> {
  const input = { ...row.input };
  for (const { column, keys } of row.related) {
    const { target, fieldOf } = associationColumns[column];
    const field = (fieldOf as Partial<Record<RecordType, string>>)[type]!;
    const ids: string[] = [];
    for (const key of keys) {
      const found = await find(target, key);
      if (!found) return { reason: `${column}: no ${target} has the ${keyNames[target]} ${key} (import the ${target === 'company' ? 'companies' : `${target}s`} first)` };
      ids.push(found.id);
    }
    if (listFields.has(field)) input[field] = [...new Set([...((input[field] as string[] | undefined) ?? []), ...ids])];
    else if (ids.length > 1) return { reason: `${column}: a ${type} has one ${target}; the cell names ${ids.length}` };
    else input[field] = ids[0];
  }
  return { input };
}

const keyNames: Readonly<Record<string, string>> = { company: 'domain', contact: 'email', deal: 'externalId' };
