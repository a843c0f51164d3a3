import type * as z from './zod';
import { ValidationError } from './errors';

/** The one translation from zod's issues to the API's field-level problem detail. */
export function zodIssues(error: z.core.$ZodError, prefix: string): ValidationError {
  const issues = error.issues.map((issue) => {
    // A key the client sent can itself be ill-formed text: the answer names it without sending that back.
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.').toWellFormed();
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    return unknownKeys.length > 0 ? unknownKeys.map((key) => ({ field: `${path}.${key.toWellFormed()}`, message: 'unknown field (server-owned or misspelled)' })) : [{ field: path, message: issue.message }];
  });
  const flat = issues.flat();
  const summary = flat
    .slice(0, 3)
    .map((issue) => `${issue.field}: ${issue.message}`)
    .join('; ');
  return new ValidationError(`Invalid ${prefix.split('.')[0] || 'input'}: ${summary}${flat.length > 3 ? '; …' : ''}`, flat);
}
