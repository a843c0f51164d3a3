import * as z from '../shared/zod';
import { ValidationError } from '../shared/errors';
import { isoDateTime, recordId, userId } from '../shared/common-fields';

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

/** Lists answer one filter per index; say plainly which combinations are not served. */
export function onlyOneFilter(filters: Record<string, unknown>, names: readonly string[]): string | undefined {
  const present = names.filter((name) => filters[name] !== undefined);
  if (present.length > 1) {
    throw new ValidationError(
      `Filter by one of ${names.join(', ')} at a time.`,
      present.map((name) => ({ field: `query.${name}`, message: 'cannot be combined with ' + present.filter((other) => other !== name).join(', ') })),
    );
  }
  return present[0];
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
