import { createApiHandler } from './http/api-handler';
import { apiContract, metaOperations } from './http/api-contract';
import { openApiDocument } from './http/openapi-document';
import { referencePage } from './http/reference-page';

const API_VERSION = '1.0.0';
// Built once per container: the contract is static.
const document = openApiDocument(apiContract, API_VERSION);
const page = referencePage(document as unknown as Record<string, unknown>);

export const handler = createApiHandler(metaOperations, {
  health: async () => ({ status: 200, body: { status: 'ok' } }),
  openapi: async () => ({ status: 200, body: document }),
  docs: async () => ({ status: 200, rawBody: page, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" } }),
});
