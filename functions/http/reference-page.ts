import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ApiResult } from './api-operation';
import { staticFile } from './static-files';

/**
 * The API reference at /docs: Swagger UI (the swagger-ui-dist package, served by this
 * function, no CDN) over /openapi.json, with the bearer scheme's Authorize dialog and
 * "Try it out" against this same API. Its script and stylesheet are files of the package,
 * shipped beside the bundle (functions/manifest.ts `assets`); nothing loads from elsewhere,
 * which the Content-Security-Policy enforces.
 */

export const docsAssets = ['swagger-ui-bundle.js', 'swagger-ui.css', 'crm-docs.js'] as const;
export type DocsAsset = (typeof docsAssets)[number];

const require = createRequire(import.meta.url);
const swaggerUiVersion = () => (JSON.parse(readFileSync(require.resolve('swagger-ui-dist/package.json'), 'utf8')) as { version: string }).version;

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Starts Swagger UI; a file, not inline, so the policy allows no inline script. */
const initScript = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('openapi.json', window.location.href.replace(/docs\\/?$/, '')).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    tryItOutEnabled: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
`;

export function docsPage(): ApiResult {
  const version = swaggerUiVersion();
  return {
    status: 200,
    rawBody: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Serverless CRM API</title><link rel="stylesheet" href="docs/swagger-ui.css?v=${version}"></head>
<body><div id="swagger-ui"></div><script src="docs/swagger-ui-bundle.js?v=${version}"></script><script src="docs/crm-docs.js?v=${version}"></script></body></html>`,
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-cache' },
  };
}

/** A script or stylesheet of the page, gzipped when the client takes it (1.7 MB of script is 0.5 MB so). */
export function docsAsset(asset: DocsAsset, acceptEncoding: string | undefined): ApiResult {
  return staticFile(`docs/${asset}`, () => (asset === 'crm-docs.js' ? Buffer.from(initScript) : readFileSync(require.resolve(`swagger-ui-dist/${asset}`))), acceptEncoding);
}
