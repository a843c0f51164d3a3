import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod, as every module here uses it (`import * as z from '…/shared/zod'`): its
 * tree-shakable API, zod/mini, with English messages. The classic API attaches every method
 * to every schema and takes its whole library into each bundle, which measured as the
 * largest share of a function's cold start after the AWS SDK (bench/cold-start.ts). zod/mini
 * ships no messages of its own: without the locale every problem would say "Invalid input".
 * Named re-exports, not `export *`, so esbuild leaves out what no module uses (the other
 * locales among it).
 */
config(en());

export {
  _default,
  array,
  boolean,
  catchall,
  coerce,
  discriminatedUnion,
  email,
  enum,
  gt,
  gte,
  int,
  iso,
  literal,
  lte,
  maxLength,
  meta,
  minLength,
  multipleOf,
  null,
  nullable,
  nullish,
  number,
  object,
  omit,
  optional,
  partial,
  pipe,
  positive,
  prefault,
  prettifyError,
  record,
  refine,
  regex,
  startsWith,
  strictObject,
  string,
  superRefine,
  toJSONSchema,
  transform,
  trim,
  union,
  unknown,
  url,
  ZodMiniObject,
} from 'zod/mini';
export type { core, infer, input, output, ZodMiniString, ZodMiniType } from 'zod/mini';
