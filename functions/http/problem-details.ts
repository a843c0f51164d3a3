import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CrmError, IdempotencyKeyReusedError, RequestInProgressError } from '../../domain/shared/errors';
import { logger } from '../../adapters/logger';
import { problemTypes, problemTypeUri, type ErrorCode } from './problem-types';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Errors raised by libraries that mean a client mistake, mapped into the one hierarchy.
 * Matched by name so functions without Idempotency-Key support don't bundle Powertools'
 * idempotency package just to recognise its errors.
 */
function asCrmError(error: unknown): CrmError | undefined {
  if (error instanceof CrmError) return error;
  const name = (error as Error | undefined)?.name;
  if (name === 'IdempotencyValidationError') return new IdempotencyKeyReusedError();
  if (name === 'IdempotencyAlreadyInProgressError') return new RequestInProgressError();
  return undefined;
}

/** The HTTP status of a client-visible error. */
export const statusOf = (error: CrmError): number => problemTypes[error.code as ErrorCode].status;

/** The problem+json body of an error (also used per item in batch results). */
export function problemOf(error: CrmError) {
  const type = problemTypes[error.code as ErrorCode];
  return { type: problemTypeUri(error.code), title: type.title, status: type.status, detail: error.message, ...error.extensions };
}

/**
 * The one place errors become HTTP responses: RFC 9457 problem+json. Client errors
 * say what to fix, field by field; anything else is a 500 that exposes nothing and
 * is logged with its stack.
 */
export function problemResponse(error: unknown, event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 {
  const known = asCrmError(error);
  const requestId = event.requestContext.requestId;
  const problem = known
    ? problemOf(known)
    : { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'Something went wrong on our side. Quote the requestId if you report it.' };
  // Code and fields only: details can quote personal data (an email) that must not outlive its record in the logs.
  if (known) logger.info('request rejected', { status: problem.status, problem: known.code, fields: (known.extensions as { errors?: { field: string }[] }).errors?.map((issue) => issue.field) });
  else logger.error('request failed', error as Error);
  return {
    statusCode: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify({ ...problem, instance: event.rawPath, requestId }),
  };
}
