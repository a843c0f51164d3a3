/**
 * The one error hierarchy. Every failure a client can cause is a CrmError with a stable
 * code and the members that help to fix it. The domain says what went wrong, never how a
 * protocol reports it: the HTTP layer maps each code to a status and an RFC 9457 problem
 * type in one place (functions/http/problem-types.ts). Anything that is not a CrmError is
 * a bug, reported as a plain 500.
 */
export interface FieldIssue {
  /** Dotted path into what was sent, e.g. `body.email`, `query.limit` or `inputs.3.email`. */
  readonly field: string;
  readonly message: string;
}

export abstract class CrmError<Extensions extends object = object> extends Error {
  /** Stable, kebab-case; the problem `type` URI ends with it. */
  abstract readonly code: string;
  /** Members a client can act on (which field, which record holds the value, …). */
  readonly extensions: Extensions;

  constructor(detail: string, extensions: Extensions, options?: ErrorOptions) {
    super(detail, options);
    this.name = new.target.name;
    this.extensions = extensions;
  }
}

export class ValidationError extends CrmError<{ errors: readonly FieldIssue[] }> {
  readonly code = 'validation-failed';
  constructor(detail: string, issues: readonly FieldIssue[] = []) {
    super(detail, { errors: issues });
  }
  get issues(): readonly FieldIssue[] {
    return this.extensions.errors;
  }
}

export class InvalidCursorError extends CrmError {
  readonly code = 'invalid-cursor';
  constructor() {
    super('The cursor is malformed, was altered, or belongs to another query. Restart from the first page.', {});
  }
}

export class UnauthorizedError extends CrmError {
  readonly code = 'unauthorized';
  constructor(detail = 'Send a valid bearer token in the Authorization header.') {
    super(detail, {});
  }
}

export class ForbiddenError extends CrmError<{ required: string }> {
  readonly code = 'forbidden';
  /** `required` names what the caller lacks: a role, a scope, or ownership of the record. */
  constructor(detail: string, required: string) {
    super(detail, { required });
  }
}

export class NotFoundError extends CrmError<{ resource: string; id: string; mergedInto?: string }> {
  readonly code = 'not-found';
  /** `mergedInto`: the record was merged into that one, which holds everything it had. */
  constructor(resource: string, id: string, mergedInto?: string) {
    super(mergedInto ? `${resource} ${id} was merged into ${mergedInto}.` : `No ${resource} with id ${id}.`, { resource, id, ...(mergedInto ? { mergedInto } : {}) });
  }
}

export class UniqueValueTakenError extends CrmError<{ field: string; existingId?: string }> {
  readonly code = 'unique-value-taken';
  /** `existingId`: the record that holds the value, so a client can fetch or update it instead. */
  constructor(
    readonly field: string,
    readonly value: string,
    existingId?: string,
  ) {
    super(
      existingId ? `${field} ${value} is already used by record ${existingId}.` : `${field} ${value} is already used by another record.`,
      existingId ? { field, existingId } : { field },
    );
  }
}

/** The request conflicts with the state of something else (a stage that still has deals, an archived sequence). */
export class ConflictError extends CrmError<Record<string, string>> {
  readonly code = 'conflict';
  constructor(detail: string, extensions: Record<string, string> = {}) {
    super(detail, extensions);
  }
}

/**
 * The item is not at the version the write was based on: the If-Match a client sent is
 * stale, or (without If-Match) a concurrent writer got there first, which the caller
 * retries (domain/shared/optimistic-retry.ts) instead of reporting.
 */
export class PreconditionFailedError extends CrmError<{ currentVersion?: number }> {
  readonly code = 'precondition-failed';
  constructor(currentVersion?: number) {
    super('If-Match does not match the current version of the record. Fetch it again and retry.', currentVersion === undefined ? {} : { currentVersion });
  }
}

/** A create found its id taken: only ids derived from an Idempotency-Key repeat, so it is a retry of a create that got through. */
export class AlreadyExistsError extends CrmError<{ resource: string; id: string }> {
  readonly code = 'already-exists';
  constructor(resource: string, id: string) {
    super(`A ${resource} with id ${id} exists already.`, { resource, id });
  }
}

export class RecordTooLargeError extends CrmError {
  readonly code = 'record-too-large';
  constructor() {
    super('With this change the record would pass the storage limit of 400 KB. Shorten long texts or custom properties.', {});
  }
}

/** One input of a batch failed for a reason that is not the client's; the other inputs are unaffected. */
export class BatchItemFailedError extends CrmError {
  readonly code = 'batch-item-failed';
  constructor(cause: unknown) {
    super('Processing this input failed on our side; retry it.', {}, { cause });
  }
}

export class IdempotencyKeyReusedError extends CrmError {
  readonly code = 'idempotency-key-reused';
  constructor() {
    super('This Idempotency-Key was already used with a different body. Use a new key for a new request.', {});
  }
}

export class RequestInProgressError extends CrmError {
  readonly code = 'request-in-progress';
  constructor() {
    super('A request with this Idempotency-Key is still being processed. Retry after it has finished.', {});
  }
}

/** The store could not apply a write within the request's time because of concurrent writers. */
export class ContentionError extends CrmError<{ resource: string; id: string }> {
  readonly code = 'write-contention';
  constructor(resource: string, id: string) {
    super(`Too many concurrent changes to ${resource} ${id}; retry the request.`, { resource, id });
  }
}

/** Why an email cannot go to a contact; fixing it takes a change of data, not a retry. */
export type NotSendableReason = 'no-email-address' | 'suppressed' | 'rejected';

export class EmailNotSendableError extends CrmError<{ reason: NotSendableReason }> {
  readonly code = 'email-not-sendable';
  constructor(detail: string, reason: NotSendableReason) {
    super(detail, { reason });
  }
  get reason(): NotSendableReason {
    return this.extensions.reason;
  }
}

/** A dependency (the mail service) is missing or refusing work for now; the same request may succeed later. */
export class ServiceUnavailableError extends CrmError {
  readonly code = 'service-unavailable';
  constructor(detail: string, options?: ErrorOptions) {
    super(detail, {}, options);
  }
}

/** Every code the domain raises; the HTTP layer must map each (a missing one does not compile). */
export type DomainErrorCode =
  | ValidationError['code']
  | InvalidCursorError['code']
  | UnauthorizedError['code']
  | ForbiddenError['code']
  | NotFoundError['code']
  | UniqueValueTakenError['code']
  | ConflictError['code']
  | PreconditionFailedError['code']
  | AlreadyExistsError['code']
  | RecordTooLargeError['code']
  | BatchItemFailedError['code']
  | IdempotencyKeyReusedError['code']
  | RequestInProgressError['code']
  | ContentionError['code']
  | EmailNotSendableError['code']
  | ServiceUnavailableError['code'];
