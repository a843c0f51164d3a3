import * as z from 'zod';
import { ValidationError } from '../shared/errors';
import { isoDateTime, recordId, userId } from '../shared/common-fields';

/**
 * The PATCH body for a record type: every field optional; fields that may be absent
 * on a record also accept null, which clears them. Derived from the same shape as
 * the POST body so the two can never disagree.
 */
export function patchSchemaOf(shape: z.ZodRawShape, requiredFields: readonly string[], id: string) {
  const patchShape = Object.fromEntries(
    Object.entries(shape).map(([name, field]) => [
      name,
      requiredFields.includes(name) ? (field as z.ZodType).optional() : (field as z.ZodType).nullable().optional(),
    ]),
  );
  return z
    .strictObject(patchShape)
    .refine((patch) => Object.keys(patch).length > 0, { message: 'send at least one field to change' })
    .meta({ id });
}

export const pageLimit = z.coerce.number().int().min(1).max(100).default(25).meta({ description: 'Page size, 1 to 100.' });
export const pageCursor = z.string().min(1).max(4_096).meta({ description: 'Opaque; pass `nextCursor` of the previous page.' });

/** Query parameters every list accepts. */
export const commonListQuery = {
  limit: pageLimit,
  cursor: pageCursor.optional(),
  updatedSince: isoDateTime.optional().meta({ description: 'Only records updated at or after this instant.' }),
  ownerId: userId.optional(),
};

export const recordIdFilter = recordId;

/** Lists answer one filter per index; say plainly which combinations are not served. */
export function onlyOneFilter(filters: Record<string, unknown>, names: readonly string[]): string | undefined {
  const present = names.filter((name) => filters[name] !== undefined);
  if (present.length > 1) {
    throw new ValidationError(`Filter by one of ${names.join(', ')} at a time.`, present.map((name) => ({ field: `query.${name}`, message: 'cannot be combined with ' + present.filter((other) => other !== name).join(', ') })));
  }
  return present[0];
}

export function serverRecordSchema(id: string, shape: z.ZodRawShape) {
  return z
    .object({
      id: z.string(),
      ...shape,
      createdAt: z.string(),
      updatedAt: z.string(),
      version: z.number().int().meta({ description: 'Increments on every change; the ETag carries it.' }),
    })
    .meta({ id });
}
