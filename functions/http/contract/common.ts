import * as z from 'zod';
import { recordId } from '../../../domain/shared/common-fields';
import { pageCursor, pageLimit } from '../../../domain/records/schema-helpers';

/** Schemas several operation groups share. */

export const idParams = z.object({ id: recordId });

export const pageQuery = z.strictObject({ limit: pageLimit, cursor: pageCursor.optional() });

export const pageOf = (item: z.ZodType, id: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }) }).meta({ id });

/** An id in examples: the shape of the ids the API makes. */
export const exampleId = (n: number) => `01JB0EXAMP1E${String(n).padStart(14, '0')}`;
