import * as z from './zod';

/**
 * Field schemas shared by several record types. Every string and array is bounded
 * so one request cannot write an item near DynamoDB's 400 KB limit by accident.
 */
export const recordId = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_-]+$/, 'ids contain only letters, digits, _ and -'));

/**
 * C0 control characters (other than tab and line breaks) are refused in text: they have
 * no place in CRM data, and each one grows sixfold when escaped in JSON, which would let
 * a page of records outgrow Lambda's 6 MB response limit.
 */
const noControlCharacters = (schema: z.ZodMiniString) => schema.check(z.regex(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/, 'control characters are not allowed'));
export const shortText = (max = 200) => noControlCharacters(z.string().check(z.trim(), z.minLength(1), z.maxLength(max)));
export const longText = noControlCharacters(z.string().check(z.maxLength(20_000)));

/** The id a record has in the system it came from (a HubSpot id, a spreadsheet's row key): unique per type, what an import can upsert on. */
export const externalId = z.string().check(z.trim(), z.minLength(1), z.maxLength(200), z.meta({ description: 'The id it has in the system it came from: unique per deployment, compared exactly; what an import upserts on.' }));
/** The list filter that looks a record up by its externalId. */
export const externalIdLookup = (type: string) => z.optional(z.string().check(z.trim(), z.maxLength(200))).check(z.meta({ description: `Look a${/^[aeiou]/.test(type) ? 'n' : ''} ${type} up by its externalId.` }));

export const userId = z.string().check(z.trim(), z.minLength(1), z.maxLength(128), z.meta({ description: 'Id of a user of the CRM (the identity provider subject).' }));

export const tags = z
  .pipe(
    z.array(z.string().check(z.trim(), z.minLength(1), z.maxLength(50))).check(z.maxLength(50)),
    z.transform((values) => [...new Set(values)]),
  )
  .check(z.meta({ description: 'Free labels; duplicates are removed.' }));

export const isoDate = z.iso.date().check(z.meta({ description: 'Calendar date, YYYY-MM-DD.' }));
/**
 * An instant, with or without an offset, stored as UTC. Only instants whose UTC form keeps
 * a four-digit year from 0001 to 9999: `9999-12-31T23:59:59-14:00` is in year 10000 in UTC,
 * and would sort before every other timestamp (`+010000-…`) and break `updatedSince`.
 */
export const isoDateTime = z
  .pipe(
    z.iso.datetime({ offset: true }),
    z.transform((value) => new Date(value).toISOString()),
  )
  .check(z.refine((utc) => /^(?!0000)\d{4}-/.test(utc), 'a time from year 0001 to 9999 in UTC'));

/** Values of custom properties; checked against their definitions on every write. */
export const propertyValue = z.union([noControlCharacters(z.string().check(z.maxLength(5_000))), z.number(), z.boolean(), z.null()]);
/** Keeps a record, and the timeline entry of a change to it, well inside DynamoDB's 400 KB item limit. */
export const MAX_PROPERTIES_BYTES = 32 * 1024;
export const customProperties = z.record(z.string().check(z.regex(/^[a-z][a-z0-9_]{0,63}$/, 'property names are lower_snake_case')), propertyValue).check(
  z.refine((values) => Object.keys(values).length <= 100, 'at most 100 custom properties per write'),
  z.refine((values) => Buffer.byteLength(JSON.stringify(values)) <= MAX_PROPERTIES_BYTES, `custom properties take at most ${MAX_PROPERTIES_BYTES} bytes per write`),
  z.meta({ description: 'Custom property values by property name; null clears a value.' }),
);

export const idList = (max: number) =>
  z.pipe(
    z.array(recordId).check(z.maxLength(max)),
    z.transform((values) => [...new Set(values)]),
  );

/** Fields the server owns; present on every record in responses, never accepted in input. */
export const serverFields = {
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.int().check(z.meta({ description: 'Increments on every change; the ETag carries it.' })),
};
