import * as z from '../../../domain/shared/zod';
import { operation } from '../api-operation';
import { dashboardAssets } from '../dashboard-page';
import { docsAssets } from '../reference-page';

export const metaOperations = {
  health: operation({
    routeKey: 'GET /health',
    operationId: 'health',
    summary: 'Liveness check',
    tag: 'Meta',
    public: true,
    success: { status: 200, description: 'Up', schema: z.object({ status: z.literal('ok') }).check(z.meta({ id: 'Health' })) },
  }),
  openapi: operation({
    routeKey: 'GET /openapi.json',
    operationId: 'openapi',
    summary: 'This API as OpenAPI 3.1',
    tag: 'Meta',
    public: true,
    success: { status: 200, description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()).check(z.meta({ description: 'An OpenAPI 3.1 document.' })) },
  }),
  docs: operation({
    routeKey: 'GET /docs',
    operationId: 'docs',
    summary: 'Readable API reference, with a console to try requests',
    tag: 'Meta',
    public: true,
    success: { status: 200, description: 'HTML page', schema: z.string(), contentType: 'text/html' },
  }),
  docsAsset: operation({
    routeKey: 'GET /docs/{asset}',
    operationId: 'docsAsset',
    summary: 'A script or stylesheet of the reference page',
    tag: 'Meta',
    public: true,
    pathParams: z.object({ asset: z.enum(docsAssets) }),
    success: { status: 200, description: 'The file (gzipped when the request accepts it)', schema: z.string(), contentType: ['text/javascript', 'text/css'] },
  }),
  dashboard: operation({
    routeKey: 'GET /dashboard',
    operationId: 'dashboard',
    summary: 'Charts of the reports, in the browser: signs in (or takes the local token) and calls this API',
    tag: 'Meta',
    public: true,
    success: { status: 200, description: 'HTML page', schema: z.string(), contentType: 'text/html' },
  }),
  dashboardAsset: operation({
    routeKey: 'GET /dashboard/{asset}',
    operationId: 'dashboardAsset',
    summary: 'A script or stylesheet of the dashboard',
    tag: 'Meta',
    public: true,
    pathParams: z.object({ asset: z.enum(dashboardAssets) }),
    success: { status: 200, description: 'The file (gzipped when the request accepts it)', schema: z.string(), contentType: ['text/javascript', 'text/css'] },
  }),
};
