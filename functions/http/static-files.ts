import { gzipSync } from 'node:zlib';
import type { ApiResult } from './api-operation';

/**
 * Files a page of this API serves (scripts, stylesheets): read once per container, kept
 * plain and gzipped, answered gzipped when the client takes it, cached a day by browsers.
 */
const files = new Map<string, { readonly plain: Buffer; readonly gzip: Buffer }>();

export function staticFile(name: string, read: () => Buffer, acceptEncoding: string | undefined): ApiResult {
  let content = files.get(name);
  if (!content) {
    const plain = read();
    content = { plain, gzip: gzipSync(plain) };
    files.set(name, content);
  }
  const gzip = /\bgzip\b/.test(acceptEncoding ?? '');
  return {
    status: 200,
    rawBody: (gzip ? content.gzip : content.plain).toString('base64'),
    base64: true,
    headers: {
      'content-type': name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      vary: 'accept-encoding',
    },
  };
}
