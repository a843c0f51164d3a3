import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium` package) opens
 * /dashboard against the local runtime with seeded data, as `npm start` prints it (the token
 * in the fragment), and must draw every chart with the numbers the reports API gives. The
 * screenshot is kept in test-results/dashboard.png.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const SEED = fileURLToPath(new URL('../../local/seed.ts', import.meta.url));
const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));

let api: TestApi;
let browser: Browser;
beforeAll(async () => {
  if (!CHROMIUM) throw new Error('This test needs Chromium: `apt-get install chromium` (Debian), or set CHROMIUM_PATH.');
  api = await startTestApi({ automations: true });
  await promisify(execFile)(process.execPath, ['--import', 'tsx', SEED, '--table', api.table.tableName, '--endpoint', api.table.endpoint], { env: process.env });
  await api.automations!.streams.drain();
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 400_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('the dashboard in headless Chromium', () => {
  it('draws the pipeline, forecast, win rate and activity charts with the reports\' numbers', async () => {
    const viewer = { kind: 'user', id: 'dashboard-viewer', role: 'viewer' } as const;
    const token = await api.tokenFor(viewer);
    const expected = await api.request<{ stages: { name: string; openDeals: number }[] }>('GET', '/v1/reports/pipeline', { as: viewer });
    const activity = await api.request<{ owners: { ownerId: string | null; calls: number }[] }>('GET', '/v1/reports/activity?interval=week', { as: viewer });

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => void (message.type() === 'error' && problems.push(message.text())));
    page.on('pageerror', (error) => void problems.push(String(error)));
    await page.setViewport({ width: 1280, height: 1400 });
    await page.goto(`${api.url}/dashboard#token=${token}`);
    await page.waitForSelector('body[data-state="ready"], body[data-state="failed"]', { timeout: 30_000 });
    const status = await page.$eval('#status', (element) => element.textContent);
    expect(await page.$eval('body', (body) => body.dataset.state), status ?? '').toBe('ready');
    // The token left the address bar once read.
    expect(page.url()).not.toContain('token=');

    const rendered = await page.$$eval('main section', (sections) => sections.map((section) => [section.id, section.dataset.rendered]));
    expect(rendered).toEqual([['pipeline', 'true'], ['forecast', 'true'], ['win-rate', 'true'], ['activity', 'true']]);
    // Each chart drew something: its canvas holds pixels that are not transparent.
    const inked = await page.$$eval('canvas', (canvases) =>
      canvases.map((canvas) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        for (let index = 3; index < data.length; index += 4) if (data[index]! > 0) painted++;
        return painted;
      }),
    );
    expect(inked.every((pixels) => pixels > 1_000), `painted pixels per chart: ${inked}`).toBe(true);

    const pipelineRows = await page.$$eval('#pipeline tbody tr', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));
    expect(pipelineRows.map((row) => [row[0], Number(row[1])])).toEqual(expected.json!.stages.map((stage) => [stage.name, stage.openDeals]));
    expect(expected.json!.stages.reduce((total, stage) => total + stage.openDeals, 0)).toBeGreaterThan(4);
    const activityRows = await page.$$eval('#activity tbody tr', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));
    expect(activityRows.map((row) => [row[0], Number(row[1])])).toEqual(activity.json!.owners.map((owner) => [owner.ownerId ?? 'unassigned', owner.calls]));

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOT_DIR}dashboard.png`, fullPage: true });
    expect(problems).toEqual([]);
  }, 60_000);

  it('says what is missing without a token, and answers a refused one plainly', async () => {
    const page = await browser.newPage();
    await page.goto(`${api.url}/dashboard`);
    await page.waitForSelector('body[data-state="failed"]', { timeout: 15_000 });
    expect(await page.$eval('#status', (element) => element.textContent)).toContain('No token');
    await page.goto(`${api.url}/dashboard#token=not-a-token`);
    await page.reload();
    await page.waitForSelector('body[data-state="failed"]', { timeout: 15_000 });
    expect(await page.$eval('#status', (element) => element.textContent)).toMatch(/refused|No token/);
  }, 30_000);
});
