import * as z from '../../../domain/shared/zod';
import { recordId } from '../../../domain/shared/common-fields';
import { pageCursor, pageLimit } from '../../../domain/records/schema-helpers';

/** Schemas several operation groups share. */

export const idParams = z.object({ id: recordId });

export const pageQuery = z.strictObject({ limit: pageLimit, cursor: z.optional(pageCursor) });

export const pageOf = (item: z.ZodMiniType, id: string) =>
  z.object({ items: z.array(item), nextCursor: z.nullable(z.string()).check(z.meta({ description: 'Pass as `cursor` for the next page; null on the last.' })) }).check(z.meta({ id }));

/** An id in examples: the shape of the ids the API makes. */
export const exampleId = (n: number) => `01JB0EXAMP1E${String(n).padStart(14, '0')}`;
