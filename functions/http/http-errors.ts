import { CrmError } from '../../domain/shared/errors';

/** Errors only HTTP can cause: how a request is sent, not what it asks for. */

export class PayloadTooLargeError extends CrmError<{ limitBytes: number }> {
  readonly code = 'payload-too-large';
  constructor(limitBytes: number) {
    super(`Request bodies are limited to ${limitBytes} bytes.`, { limitBytes });
  }
}

export class UnsupportedMediaTypeError extends CrmError {
  readonly code = 'unsupported-media-type';
  constructor() {
    super('Send the body as application/json.', {});
  }
}

export type HttpErrorCode = PayloadTooLargeError['code'] | UnsupportedMediaTypeError['code'];
