import { once } from '../domain/shared/built-on-first-use';
import { apiHandler } from './http/api-handler';
import { allOperations } from './http/contract';
import { metaOperations } from './http/contract/meta';
import { openApiDocument } from './http/openapi-document';
import { loadConfig } from '../adapters/config';
import { dashboardAsset, dashboardPage } from './http/dashboard-page';
import { docsAsset, docsPage } from './http/reference-page';

const API_VERSION = '1.0.0';
const config = loadConfig();
// Built by the first request that asks for it, then kept: the contract is static, and health
// checks and the reference page's assets, most of this function's requests, never need it.
const document = once(() => openApiDocument(allOperations, API_VERSION));

export const handler = apiHandler(metaOperations, {
  health: async () => ({ status: 200, body: { status: 'ok' } }),
  openapi: async () => ({ status: 200, body: document() }),
  docs: async () => docsPage(),
  docsAsset: async ({ params, header }) => docsAsset(params.asset, header('accept-encoding')),
  dashboard: async () => dashboardPage(config),
  dashboardAsset: async ({ params, header }) => dashboardAsset(params.asset, header('accept-encoding')),
});
