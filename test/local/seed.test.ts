import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-server';

const SEED = fileURLToPath(new URL('../../local/seed.ts', import.meta.url));

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ automations: true });
});
afterAll(() => api?.close(), 120_000);

/** `npm run seed` on the test API's table, as it runs on the table `npm start` serves. */
async function seed(): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', SEED, '--table', api.table.tableName, '--endpoint', api.table.endpoint], { env: process.env });
  return stdout;
}

describe('npm run seed', () => {
  it('writes a year that every report shows, and adds nothing the second time', async () => {
    const first = await seed();
    const [companies, contacts, deals, won, lost, activities] = /(\d+) companies, (\d+) contacts, (\d+) deals \((\d+) won, (\d+) lost\), (\d+) activities/.exec(first)!.slice(1).map(Number) as number[];
    expect(companies).toBe(24);
    expect(contacts).toBeGreaterThan(48);
    expect(deals).toBeGreaterThan(20);
    expect(won! + lost!).toBeGreaterThan(10);
    expect(activities).toBeGreaterThan(2 * deals!);
    await api.automations!.streams.drain();

    // Deals closed in many months of the year, not just today; won and lost both.
    const winRate = (await api.request<{ months: { wonDeals: number; lostDeals: number }[]; total: { wonDeals: number; lostDeals: number } }>('GET', '/v1/reports/win-rate')).json!;
    expect(winRate.total).toEqual(expect.objectContaining({ wonDeals: won, lostDeals: lost }));
    expect(winRate.months.filter((month) => month.wonDeals + month.lostDeals > 0).length).toBeGreaterThanOrEqual(5);
    const pipeline = (await api.request<{ total: { openDeals: number }; unconverted: unknown[] }>('GET', '/v1/reports/pipeline')).json!;
    expect(pipeline.total.openDeals).toBe(deals! - won! - lost!);
    expect(pipeline.unconverted).toEqual([]);
    const funnel = (await api.request<{ months: { moves: unknown[] }[] }>('GET', '/v1/reports/funnel')).json!;
    expect(funnel.months.filter((month) => month.moves.length > 0).length).toBeGreaterThanOrEqual(5);
    // Tasks both overdue and still to come.
    const now = new Date().toISOString();
    const tasks = (await api.request<{ items: { dueAt?: string; taskStatus: string }[] }>('GET', '/v1/activities?assigneeId=user-alice&taskStatus=open&limit=100')).json!.items;
    expect(tasks.some((task) => task.dueAt! < now)).toBe(true);
    // Names from many countries, found by search without their accents.
    expect((await api.request<{ items: unknown[] }>('GET', '/v1/search?q=muller&types=contacts')).json!.items.length).toBeGreaterThan(0);

    expect(await seed()).toMatch(/nothing added/);
    // 21 s alone; 446 s near the end of a full CI run, where DynamoDB Local holds every file's table by then.
  }, 900_000);
});
