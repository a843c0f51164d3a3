import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
// s3rver ships no types: its constructor options and run() are all this uses.
// @ts-expect-error untyped module
import S3rver from 's3rver';

/**
 * A local S3 (s3rver) for the buckets the stack makes: the inbound mail bucket, where the
 * local SMTP server stores raw messages as SES receiving's S3 action does, and the export bucket. Objects live in
 * `directory` (under CRM_DATA_DIR for npm start). Clients use path-style URLs and the
 * credentials S3RVER/S3RVER (adapters/inbound/s3-raw-mail.ts).
 */

/** The inbound mail bucket locally (INBOUND_MAIL_BUCKET). */
export const LOCAL_INBOUND_MAIL_BUCKET = 'crm-local-inbound-mail';
/** The export bucket locally (EXPORT_BUCKET): presigned download URLs point at this server. */
export const LOCAL_EXPORT_BUCKET = 'crm-local-exports';

export interface S3Local {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startS3Local({ directory, port = 0 }: { directory: string; port?: number }): Promise<S3Local> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: LOCAL_INBOUND_MAIL_BUCKET }, { name: LOCAL_EXPORT_BUCKET }] });
  const address = (await server.run()) as AddressInfo;
  return { endpoint: `http://127.0.0.1:${address.port}`, stop: () => server.close() as Promise<void> };
}
