import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../../adapters/config';
import type { ApiResult } from './api-operation';
import { escapeHtml } from './html';
import { staticFile } from './static-files';

/**
 * The dashboard at /dashboard: charts of the reports (pipeline by stage, forecast, win rate,
 * activity by owner), drawn in the browser with Chart.js served by this function (no CDN),
 * from the same API with the user's own token (functions/http/dashboard/crm-dashboard.js says
 * where the token comes from). The page holds no data; the Content-Security-Policy lets it
 * load nothing from elsewhere and talk only to this API and the stage's sign-in domain.
 */

/** Each file the page loads, and where it is in the repository (shipped beside the bundle: functions/manifest.ts `assets`). */
export const dashboardFiles = {
  'chart.umd.min.js': 'node_modules/chart.js/dist/chart.umd.min.js',
  'crm-dashboard.js': 'functions/http/dashboard/crm-dashboard.js',
  'crm-dashboard.css': 'functions/http/dashboard/crm-dashboard.css',
} as const;
export type DashboardAsset = keyof typeof dashboardFiles;
export const dashboardAssets = Object.keys(dashboardFiles) as DashboardAsset[];

// In Lambda the assets sit beside the bundle in the task root; locally the repository is the working directory.
const repositoryFile = (path: string) => readFileSync(resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), path));

/** A file's address with its content's hash: browsers keep it a day, and a deploy that changes it changes the address. */
const versions = new Map<DashboardAsset, string>();
function versioned(asset: DashboardAsset): string {
  if (!versions.has(asset)) versions.set(asset, createHash('sha256').update(repositoryFile(dashboardFiles[asset])).digest('hex').slice(0, 12));
  return `dashboard/${asset}?v=${versions.get(asset)!}`;
}

export function dashboardPage(config: Pick<Config, 'SIGN_IN_URL' | 'SIGN_IN_CLIENT_ID'>): ApiResult {
  const signIn = config.SIGN_IN_URL && config.SIGN_IN_CLIENT_ID ? { url: config.SIGN_IN_URL, clientId: config.SIGN_IN_CLIENT_ID } : null;
  const policy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${signIn ? ` ${new URL(signIn.url).origin}` : ''}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  return {
    status: 200,
    rawBody: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRM dashboard</title><link rel="icon" href="data:,"><meta name="crm-sign-in" content="${escapeHtml(JSON.stringify(signIn))}"><link rel="stylesheet" href="${versioned('crm-dashboard.css')}"></head>
<body data-state="loading"><header><h1>CRM dashboard</h1><span>amounts in <span id="currency">…</span></span></header><p id="status" role="status">Loading reports…</p>
<main>
<section id="pipeline"><h2>Open pipeline by stage</h2><div class="chart"><canvas aria-label="Open pipeline by stage"></canvas></div><table></table></section>
<section id="forecast"><h2>Forecast by expected close month, and won</h2><div class="chart"><canvas aria-label="Forecast"></canvas></div><table></table></section>
<section id="win-rate"><h2>Win rate by month closed</h2><div class="chart"><canvas aria-label="Win rate"></canvas></div><table></table></section>
<section id="activity"><h2>Activity by owner, last 4 weeks</h2><div class="chart"><canvas aria-label="Activity by owner"></canvas></div><table></table></section>
</main>
<script src="${versioned('chart.umd.min.js')}"></script><script src="${versioned('crm-dashboard.js')}"></script></body></html>`,
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': policy, 'cache-control': 'no-cache', 'referrer-policy': 'no-referrer' },
  };
}

export const dashboardAsset = (asset: DashboardAsset, acceptEncoding: string | undefined): ApiResult => staticFile(`dashboard/${asset}`, () => repositoryFile(dashboardFiles[asset]), acceptEncoding);
