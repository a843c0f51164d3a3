import * as z from '../../domain/shared/zod';
import { once } from '../../domain/shared/built-on-first-use';
import { problemTypes, problemTypeUri, type ErrorCode } from './problem-types';

const pascal = (code: string) => code.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase());

/**
 * The problem+json bodies as schemas, one per problem type (RFC 9457): the members every
 * problem has, and the extension members of its type, from problem-types.ts. Responses
 * list the types their status can carry; a batch result's error is any of them. Only the
 * OpenAPI document and batch results' schema read them, so they are built on first use.
 */
export const problemSchemas = once(() => {
  const base = {
    title: z.string(),
    status: z.int(),
    detail: z.string().check(z.meta({ description: 'What went wrong and what to do about it, for a person.' })),
    instance: z.optional(z.string()).check(z.meta({ description: 'The path of the request.' })),
    requestId: z.optional(z.string()).check(z.meta({ description: 'Quote it when reporting a problem.' })),
  };
  const variants = Object.fromEntries(
    (Object.entries(problemTypes) as [ErrorCode, (typeof problemTypes)[ErrorCode]][]).map(([code, type]) => [
      code,
      z.object({ type: z.literal(problemTypeUri(code)), ...base, status: z.literal(type.status), ...type.extensions }).check(z.meta({ id: `${pascal(code)}Problem`, description: type.title })),
    ]),
  ) as unknown as Record<ErrorCode, z.ZodMiniObject>;
  /** The plain 500 (`about:blank`) that exposes nothing. */
  const internalError = z
    .object({ type: z.literal('about:blank'), ...base, status: z.literal(500) })
    .check(z.meta({ id: 'InternalErrorProblem', description: 'An error on our side; nothing about it is exposed.' }));
  /** Any problem of ours. */
  const problem = z
    .union([...Object.values(variants), internalError] as unknown as [z.ZodMiniObject, z.ZodMiniObject, ...z.ZodMiniObject[]])
    .check(z.meta({ id: 'Problem', description: 'RFC 9457 problem details.' }));
  /** The problem types a status carries. */
  const withStatus = (status: number): z.ZodMiniType[] => {
    const carried: z.ZodMiniType[] = (Object.keys(problemTypes) as ErrorCode[]).filter((code) => problemTypes[code].status === status).map((code) => variants[code]);
    return status === 500 ? [...carried, internalError] : carried;
  };
  return { variants, internalError, problem, withStatus };
});
