import * as z from '../../domain/shared/zod';
import type { DomainErrorCode } from '../../domain/shared/errors';
import type { HttpErrorCode } from './http-errors';

export type ErrorCode = DomainErrorCode | HttpErrorCode;

const fieldIssue = z.object({
  field: z.string().check(z.meta({ description: 'Where in the request: `body.email`, `query.limit`, `path.id`, or `inputs.3.email` for a batch input.' })),
  message: z.string(),
});

export interface ProblemType {
  readonly status: number;
  readonly title: string;
  /** The problem's extension members (RFC 9457 §3.2), as sent. */
  readonly extensions: z.core.$ZodShape;
}

/**
 * The one map from error codes to HTTP: status, title and extension members of each
 * problem type. Problem responses and the OpenAPI document are both built from it, so a
 * member the API sends is a member the document declares.
 */
export const problemTypes: Record<ErrorCode, ProblemType> = {
  'validation-failed': { status: 400, title: 'The request is not valid', extensions: { errors: z.array(fieldIssue) } },
  'invalid-cursor': { status: 400, title: 'The pagination cursor is not valid', extensions: {} },
  unauthorized: { status: 401, title: 'Authentication required', extensions: {} },
  forbidden: {
    status: 403,
    title: 'Not allowed',
    extensions: { required: z.string().check(z.meta({ description: 'What the caller lacks: a role, a scope, or ownership of the record.' })) },
  },
  'not-found': { status: 404, title: 'Not found', extensions: { resource: z.string(), id: z.string(), mergedInto: z.optional(z.string()).check(z.meta({ description: 'The record was merged into this one.' })) } },
  'unique-value-taken': {
    status: 409,
    title: 'A unique value is already in use',
    extensions: { field: z.string(), existingId: z.optional(z.string()).check(z.meta({ description: 'The record that holds the value.' })) },
  },
  conflict: {
    status: 409,
    title: 'The request conflicts with the current state',
    extensions: { stageId: z.optional(z.string()), runId: z.optional(z.string()), field: z.optional(z.string()) },
  },
  'already-exists': { status: 409, title: 'It exists already', extensions: { resource: z.string(), id: z.string() } },
  'request-in-progress': { status: 409, title: 'A request with this Idempotency-Key is still being processed', extensions: {} },
  'write-contention': { status: 409, title: 'The record is being changed by others', extensions: { resource: z.string(), id: z.string() } },
  'precondition-failed': {
    status: 412,
    title: 'The record has changed',
    extensions: { currentVersion: z.optional(z.int()).check(z.meta({ description: 'The version the record is at now (its ETag).' })) },
  },
  'payload-too-large': { status: 413, title: 'The request body is too large', extensions: { limitBytes: z.int() } },
  'record-too-large': { status: 413, title: 'The record would be too large to store', extensions: {} },
  'unsupported-media-type': { status: 415, title: 'The request body must be JSON', extensions: {} },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used with a different request', extensions: {} },
  'email-not-sendable': {
    status: 422,
    title: 'This email cannot be sent',
    extensions: { reason: z.enum(['no-email-address', 'suppressed', 'rejected']) },
  },
  'batch-item-failed': { status: 500, title: 'This input could not be processed', extensions: {} },
  'service-unavailable': { status: 503, title: 'A service the request needs is unavailable', extensions: {} },
};

export const problemTypeUri = (code: string) => `urn:crm:problem:${code}`;
