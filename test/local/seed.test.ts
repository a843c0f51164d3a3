import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-server';

const SEED = fileURLToPath(new URL('../../local/seed.ts', import.meta.url));

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

/** `npm run seed` against the test API, as a user runs it against `npm start`. */
async function seed(): Promise<string> {
  const token = await api.tokenFor({ kind: 'user', id: 'seed', role: 'admin' });
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', SEED], { env: { ...process.env, CRM_URL: api.url, CRM_TOKEN: token } });
  return stdout;
}

describe('npm run seed', () => {
  it('loads companies, contacts, deals linked to them and activities, and adds nothing the second time', async () => {
    const first = await seed();
    const counts = /(\d+) companies \((\d+) new\), (\d+) contacts, (\d+) deals, (\d+) activities/.exec(first)!.slice(1).map(Number);
    expect(counts.slice(0, 3)).toEqual([60, 60, 300]);
    expect(counts[3]).toBeGreaterThan(60);
    expect(counts[4]).toBe(4 * counts[3]!);
    const deals = await api.request<{ items: { companyId?: string; contactIds: string[] }[] }>('GET', '/v1/deals?limit=100');
    expect(deals.json!.items.every((deal) => deal.companyId)).toBe(true);

    const second = await seed();
    expect(second).toMatch(/60 companies \(0 new\), 300 contacts, 0 deals, 0 activities/);
  }, 120_000);
});
