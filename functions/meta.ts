import { apiHandler } from './http/api-handler';
import { allOperations } from './http/contract';
import { metaOperations } from './http/contract/meta';
import { openApiDocument } from './http/openapi-document';
import { referencePage } from './http/reference-page';

const API_VERSION = '1.0.0';
// Built once per container: the contract is static. Only the server URL follows the request.
const document = openApiDocument(allOperations, API_VERSION);
const page = referencePage(document as unknown as Record<string, unknown>);

export const handler = apiHandler(metaOperations, {
  health: async () => ({ status: 200, body: { status: 'ok' } }),
  openapi: async () => ({ status: 200, body: document }),
  docs: async () => ({ status: 200, rawBody: page, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" } }),
});
