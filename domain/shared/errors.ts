/**
 * The one error hierarchy. Every failure a client can cause is a CrmError with an
 * HTTP status and a stable problem type; the HTTP layer maps them to RFC 9457
 * problem+json in one place. Anything that is not a CrmError is a bug: a plain 500.
 */
export interface FieldIssue {
  /** JSON pointer-like dotted path into the request, e.g. `body.email` or `query.limit`. */
  readonly field: string;
  readonly message: string;
}

export abstract class CrmError extends Error {
  abstract readonly status: number;
  /** Short kebab-case slug; becomes the problem `type` URI. */
  abstract readonly type: string;
  abstract readonly title: string;
  readonly extensions: Record<string, unknown>;

  constructor(detail: string, extensions: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(detail, options);
    this.name = new.target.name;
    this.extensions = extensions;
  }
}

export class ValidationError extends CrmError {
  readonly status = 400;
  readonly type = 'validation-failed';
  readonly title = 'The request is not valid';
  constructor(detail: string, readonly issues: readonly FieldIssue[] = []) {
    super(detail, { errors: issues });
  }
}

export class InvalidCursorError extends CrmError {
  readonly status = 400;
  readonly type = 'invalid-cursor';
  readonly title = 'The pagination cursor is not valid';
  constructor() {
    super('The cursor is malformed, was altered, or belongs to another query. Restart from the first page.');
  }
}

export class UnauthorizedError extends CrmError {
  readonly status = 401;
  readonly type = 'unauthorized';
  readonly title = 'Authentication required';
  constructor(detail = 'Send a valid bearer token in the Authorization header.') {
    super(detail);
  }
}

export class ForbiddenError extends CrmError {
  readonly status = 403;
  readonly type = 'forbidden';
  readonly title = 'Not allowed';
  /** `required` names what the caller lacks: a role, a scope, or ownership of the record. */
  constructor(detail: string, required: string) {
    super(detail, { required });
  }
}

export class NotFoundError extends CrmError {
  readonly status = 404;
  readonly type = 'not-found';
  readonly title = 'Not found';
  constructor(readonly resource: string, readonly id: string) {
    super(`No ${resource} with id ${id}.`, { resource, id });
  }
}

export class UniqueValueTakenError extends CrmError {
  readonly status = 409;
  readonly type = 'unique-value-taken';
  readonly title = 'A unique value is already in use';
  constructor(readonly field: string, value: string, existingId?: string) {
    super(`${field} ${value} is already used by another record.`, { field, ...(existingId ? { existingId } : {}) });
  }
}

export class ConflictError extends CrmError {
  readonly status = 409;
  readonly type = 'conflict';
  readonly title = 'The request conflicts with the current state';
}

export class PreconditionFailedError extends CrmError {
  readonly status = 412;
  readonly type = 'precondition-failed';
  readonly title = 'The record has changed';
  constructor(currentVersion?: number) {
    super('If-Match does not match the current version of the record. Fetch it again and retry.', currentVersion === undefined ? {} : { currentVersion });
  }
}

export class PayloadTooLargeError extends CrmError {
  readonly status = 413;
  readonly type = 'payload-too-large';
  readonly title = 'The request body is too large';
  constructor(limitBytes: number) {
    super(`Request bodies are limited to ${limitBytes} bytes.`, { limitBytes });
  }
}

export class RecordTooLargeError extends CrmError {
  readonly status = 413;
  readonly type = 'record-too-large';
  readonly title = 'The record would be too large to store';
  constructor() {
    super('With this change the record would pass the storage limit of 400 KB. Shorten long texts or custom properties.');
  }
}

/** One input of a batch failed for a reason that is not the client's; the other inputs are unaffected. */
export class BatchItemFailedError extends CrmError {
  readonly status = 500;
  readonly type = 'batch-item-failed';
  readonly title = 'This input could not be processed';
  constructor(cause: unknown) {
    super('Processing this input failed on our side; retry it.', {}, { cause });
  }
}

export class UnsupportedMediaTypeError extends CrmError {
  readonly status = 415;
  readonly type = 'unsupported-media-type';
  readonly title = 'The request body must be JSON';
  constructor() {
    super('Send the body as application/json.');
  }
}

export class IdempotencyKeyReusedError extends CrmError {
  readonly status = 422;
  readonly type = 'idempotency-key-reused';
  readonly title = 'The Idempotency-Key was used with a different request';
  constructor() {
    super('This Idempotency-Key was already used with a different body. Use a new key for a new request.');
  }
}

export class RequestInProgressError extends CrmError {
  readonly status = 409;
  readonly type = 'request-in-progress';
  readonly title = 'A request with this Idempotency-Key is still being processed';
  constructor() {
    super('Retry after the first request has finished.');
  }
}

/** The store could not apply a write after several attempts because of concurrent writers. */
export class ContentionError extends CrmError {
  readonly status = 409;
  readonly type = 'write-contention';
  readonly title = 'The record is being changed by others';
  constructor(resource: string, id: string) {
    super(`Too many concurrent changes to ${resource} ${id}; retry the request.`, { resource, id });
  }
}

/** Why an email cannot go to a contact; fixing it takes a change of data, not a retry. */
export type NotSendableReason = 'no-email-address' | 'suppressed' | 'rejected';

export class EmailNotSendableError extends CrmError {
  readonly status = 422;
  readonly type = 'email-not-sendable';
  readonly title = 'This email cannot be sent';
  constructor(detail: string, readonly reason: NotSendableReason) {
    super(detail, { reason });
  }
}

/** A dependency (the mail service) is missing or refusing work for now; the same request may succeed later. */
export class ServiceUnavailableError extends CrmError {
  readonly status = 503;
  readonly type = 'service-unavailable';
  readonly title = 'A service the request needs is unavailable';
  constructor(detail: string, options?: ErrorOptions) {
    super(detail, {}, options);
  }
}
