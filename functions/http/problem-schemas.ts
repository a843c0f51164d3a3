import { z } from 'zod';
import { problemTypes, problemTypeUri, type ErrorCode } from './problem-types';

/**
 * The problem+json bodies as schemas, one per problem type (RFC 9457): the members every
 * problem has, and the extension members of its type, from problem-types.ts. Responses
 * list the types their status can carry; a batch result's error is any of them.
 */
const base = {
  title: z.string(),
  status: z.number().int(),
  detail: z.string().meta({ description: 'What went wrong and what to do about it, for a person.' }),
  instance: z.string().optional().meta({ description: 'The path of the request.' }),
  requestId: z.string().optional().meta({ description: 'Quote it when reporting a problem.' }),
};

const pascal = (code: string) => code.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase());

export const problemVariants = Object.fromEntries(
  (Object.entries(problemTypes) as [ErrorCode, (typeof problemTypes)[ErrorCode]][]).map(([code, type]) => [
    code,
    z
      .object({ type: z.literal(problemTypeUri(code)), ...base, status: z.literal(type.status), ...type.extensions })
      .meta({ id: `${pascal(code)}Problem`, description: type.title }),
  ]),
) as unknown as Record<ErrorCode, z.ZodObject>;

/** Any problem of ours, and the plain 500 (`about:blank`) that exposes nothing. */
export const internalErrorSchema = z
  .object({ type: z.literal('about:blank'), ...base, status: z.literal(500) })
  .meta({ id: 'InternalErrorProblem', description: 'An error on our side; nothing about it is exposed.' });

export const problemSchema = z.union([...Object.values(problemVariants), internalErrorSchema] as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]).meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

/** The problem types a status carries. */
export function problemsWithStatus(status: number): z.ZodType[] {
  const variants: z.ZodType[] = (Object.keys(problemTypes) as ErrorCode[]).filter((code) => problemTypes[code].status === status).map((code) => problemVariants[code]);
  return status === 500 ? [...variants, internalErrorSchema] : variants;
}
