import * as z from '../shared/zod';
import { isoDate, isoDateTime, recordId, userId } from '../shared/common-fields';
import { decimalText, MAX_FILTER_VALUE_LENGTH, sortOrders, type ListCatalogue, type SortField } from './list-views';
import type { RecordModel } from './record-model';

/**
 * The PATCH body for a record type: every field optional; fields that may be absent
 * on a record also accept null, which clears them. Derived from the same shape as
 * the POST body so the two can never disagree.
 */
export function patchSchemaOf(shape: z.core.$ZodShape, requiredFields: readonly string[], id: string) {
  const patchShape = Object.fromEntries(
    Object.entries(shape).map(([name, field]) => [name, requiredFields.includes(name) ? z.optional(field as z.ZodMiniType) : z.optional(z.nullable(field as z.ZodMiniType))]),
  );
  return z.strictObject(patchShape).check(
    z.refine((patch) => Object.keys(patch).length > 0, { message: 'send at least one field to change' }),
    z.meta({ id }),
  );
}

export const pageLimit = z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 25).check(z.meta({ description: 'Page size, 1 to 100.' }));
export const pageCursor = z.string().check(z.minLength(1), z.maxLength(4_096), z.meta({ description: 'Opaque; pass `nextCursor` of the previous page.' }));

/** Query parameters every list accepts. */
export const commonListQuery = {
  limit: pageLimit,
  cursor: z.optional(pageCursor),
  updatedSince: z.optional(isoDateTime).check(z.meta({ description: 'Only records updated at or after this instant.' })),
  ownerId: z.optional(userId),
};

export const recordIdFilter = recordId;

/** A search of one record type (domain/search/): on its own, with limit and cursor only. */
export const searchQueryParameter = {
  q: z
    .optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200)))
    .check(z.meta({ description: 'Search by prefix of a name, email or domain, or the ending of a phone number (see GET /v1/search); takes no other filter.' })),
};

export const tagParameter = z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(50))).check(z.meta({ description: 'Records with this tag (any case).' }));

const decimal = z.pipe(
  z.string().check(z.regex(decimalText, 'a number such as 1500, 99.5 or 1e6')),
  z.pipe(z.transform(Number), z.number().check(z.refine(Number.isFinite, 'a number DynamoDB can store (at most about 1e125)'))),
);
const rangeBound = (sort: SortField) => (sort.kind === 'instant' ? isoDateTime : sort.kind === 'date' ? isoDate : decimal);
const customPropertyParameter = /^properties\.[a-z][a-z0-9_]{0,63}(\.(gte|lte))?$/;

/**
 * The query string of a list: paging, the type's own filters (`shape`), and from its list
 * catalogue `sort`, `order` and a range on each sortable field but names (`<field>.gte`,
 * `<field>.lte`). Custom properties marked filterable are `properties.<name>` (and
 * `.gte`/`.lte`): their names are not known here, so any such key passes, checked against the
 * definitions when the list is planned (list-views.ts); any other unknown key is a 400.
 */
export function listQuerySchemaOf(catalogue: ListCatalogue, shape: z.core.$ZodShape) {
  const ranged = catalogue.sorts.filter((sort) => sort.kind !== 'text');
  const known = {
    ...commonListQuery,
    sort: z
      .optional(
        z.string().check(
          z.refine(
            (name) => catalogue.sorts.some((sort) => sort.name === name) || /^properties\.[a-z][a-z0-9_]{0,63}$/.test(name),
            `one of ${catalogue.sorts.map((sort) => sort.name).join(', ')}, or properties.<name> of a filterable number or date property`,
          ),
        ),
      )
      .check(z.meta({ description: 'The field to sort by, or `properties.<name>` of a filterable number or date property. Each filter combination has its sorts (docs/data-model.md, "Lists").' })),
    order: z.optional(z.enum(sortOrders)).check(z.meta({ description: 'Default: newest first for times, A to Z for names, largest first for amounts, earliest first for dates.' })),
    ...Object.fromEntries(
      ranged.flatMap((sort) => [
        [`${sort.name}.gte`, z.optional(rangeBound(sort)).check(z.meta({ description: `${sort.name} at or after (at least) this; sorts the list by ${sort.name}.` }))],
        [`${sort.name}.lte`, z.optional(rangeBound(sort)).check(z.meta({ description: `${sort.name} at or before (at most) this; sorts the list by ${sort.name}.` }))],
      ]),
    ),
    ...shape,
  };
  return z.catchall(z.strictObject(known), z.string().check(z.maxLength(MAX_FILTER_VALUE_LENGTH * 4))).check(
    z.superRefine((query, context) => {
      for (const key of Object.keys(query as object)) {
        if (!(key in known) && !customPropertyParameter.test(key)) context.addIssue({ code: 'custom', path: [key], message: 'unknown parameter (custom properties are properties.<name>)' });
      }
    }),
  );
}

export function serverRecordSchema(id: string, shape: z.core.$ZodShape) {
  return z
    .object({
      id: z.string(),
      ...shape,
      createdAt: z.string(),
      updatedAt: z.string(),
      version: z.int().check(z.meta({ description: 'Increments on every change; the ETag carries it.' })),
    })
    .check(z.meta({ id }));
}

/** The fields a record's POST takes (its create schema's keys), `properties` among them. */
export function inputFieldsOf(model: Pick<RecordModel, 'createSchema'>): string[] {
  const definition = (model.createSchema as unknown as { _zod: { def: { shape?: Record<string, unknown>; in?: { _zod: { def: { shape: Record<string, unknown> } } } } } })._zod.def;
  return Object.keys(definition.shape ?? definition.in?._zod.def.shape ?? {});
}
