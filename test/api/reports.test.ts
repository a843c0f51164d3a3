import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { createRuntime } from '../../adapters/runtime';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { REBUILD_START, rebuildReports, rebuildReportsStep } from '../../domain/reports/rebuild-reports';
import { InvalidCursorError } from '../../domain/shared/errors';
import { localStateMachineArn } from '../../local/local-arns';
import { localStateMachines } from '../../local/local-state-machines';
import { startStepFunctionsLocal } from '../../local/step-functions-local';
import { reportItemPrefixes } from '../../domain/shared/keys';
import type { StreamPoller } from '../../local/stream-poller';
import { pollStream } from '../support/stream-consumers';
import { loadConfig } from '../../adapters/config';
import { scanningClient, tableScan } from '../../migrations/table-scan';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Reports through the API, kept by the real report keeper on DynamoDB Local's stream:
 * pipeline, forecast, win rate, activity and funnel, with currencies converted at read time;
 * a rebuild from the records gives the same reports as the keeper did.
 */

let api: TestApi;
let poller: StreamPoller;
const month = new Date().toISOString().slice(0, 7);
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  api = await startTestApi({ streams: true });
  poller = await pollStream(api, 'reportKeeper', 'recordSweeper');
  await api.addOwners('rep-ana', 'rep-bo', 'rep-cy');
});
afterAll(async () => {
  await poller?.stop();
  await api?.close();
});

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await api.request<T>(method, path, body === undefined ? {} : { body });
  expect(response.status, `${method} ${path}: ${response.text}`).toBeLessThan(300);
  return response.json!;
}
const create = async (collection: string, body: Record<string, unknown>) => (await call<{ id: string }>('POST', `/v1/${collection}`, body)).id;
async function report<T = any>(path: string): Promise<T> {
  await poller.drain();
  return call<T>('GET', path);
}

describe('reports', () => {
  it('pipeline: open deals per stage, owner and team, converted to the reporting currency', async () => {
    await call('PUT', '/v1/reports/settings', { currency: 'USD', rates: { EUR: 1.1 } });
    await create('teams', { name: 'East', memberIds: ['rep-ana', 'rep-bo'] });
    await create('deals', { name: 'A', amount: 1000, currency: 'USD', ownerId: 'rep-ana' });
    await create('deals', { name: 'B', amount: 500, currency: 'EUR', ownerId: 'rep-bo', stageId: 'qualified_to_buy' });
    await create('deals', { name: 'C', amount: 200, currency: 'GBP', ownerId: 'rep-cy', stageId: 'qualified_to_buy' });
    await create('deals', { name: 'D', amount: 300, currency: 'USD' });

    const pipeline = await report('/v1/reports/pipeline');
    const stage = (id: string) => pipeline.stages.find((row: { stageId: string }) => row.stageId === id);
    expect(stage('appointment_scheduled')).toMatchObject({ name: 'Appointment scheduled', openDeals: 2, amount: 1300, weightedAmount: 260 });
    // 500 EUR at 1.1 is 550 USD; the GBP deal has no rate: counted, and its amount reported apart.
    expect(stage('qualified_to_buy')).toMatchObject({ openDeals: 2, amount: 550, weightedAmount: 220 });
    expect(pipeline.unconverted).toEqual([
      { field: 'amount', currency: 'GBP', amount: 200 },
      { field: 'weightedAmount', currency: 'GBP', amount: 80 },
    ]);
    expect(pipeline.total).toEqual({ openDeals: 4, amount: 1850, weightedAmount: 480 });
    expect(pipeline.owners.map((owner: { ownerId: string | null; openDeals: number }) => [owner.ownerId, owner.openDeals])).toEqual([
      ['rep-ana', 1],
      ['rep-bo', 1],
      ['rep-cy', 1],
      // A deal created without an owner is its creator's.
      ['test-admin', 1],
    ]);
    expect(pipeline.teams).toEqual([expect.objectContaining({ name: 'East', openDeals: 2, amount: 1550 })]);
    expect(pipeline.stages.map((row: { stageId: string }) => row.stageId)).not.toContain('closed_won');
  });

  it('forecast and win rate follow deals moved, won and lost', async () => {
    const won = await create('deals', { name: 'Won', amount: 400, currency: 'USD', ownerId: 'rep-ana', expectedCloseDate: `${month}-28` });
    const lost = await create('deals', { name: 'Lost', amount: 100, currency: 'USD', ownerId: 'rep-ana', expectedCloseDate: `${month}-28` });
    const before = await report(`/v1/reports/forecast?from=${month}&to=${month}`);
    expect(before.months[0]).toMatchObject({ month, openDeals: 2, amount: 500, weightedAmount: 100 });

    await call('PATCH', `/v1/deals/${won}`, { stageId: 'presentation_scheduled' });
    await call('PATCH', `/v1/deals/${won}`, { stageId: 'closed_won' });
    await call('PATCH', `/v1/deals/${lost}`, { stageId: 'closed_lost' });
    const forecast = await report(`/v1/reports/forecast?from=${month}&to=${month}`);
    expect(forecast.months[0]).toMatchObject({ month, openDeals: 0, amount: 0, wonDeals: 1, wonAmount: 400 });
    expect(forecast.wonToDate).toEqual({ wonDeals: 1, wonAmount: 400 });

    const winRate = await report(`/v1/reports/win-rate?from=${month}&to=${month}`);
    expect(winRate.total).toMatchObject({ wonDeals: 1, lostDeals: 1, wonAmount: 400, lostAmount: 100, winRate: 0.5 });
    expect((await report(`/v1/reports/win-rate?from=${month}&to=${month}&ownerId=rep-ana`)).total).toMatchObject({ wonDeals: 1, lostDeals: 1 });
    expect((await report(`/v1/reports/win-rate?from=${month}&to=${month}&ownerId=rep-bo`)).total).toMatchObject({ wonDeals: 0, lostDeals: 0 });
    expect(winRate.total.averageDaysToWin).toBeGreaterThanOrEqual(0);
    const stageExits = Object.fromEntries(winRate.stageTimes.stages.map((row: { stageId: string; exits: number }) => [row.stageId, row.exits]));
    expect(stageExits).toMatchObject({ appointment_scheduled: 2, presentation_scheduled: 1 });
  });

  it('activity: per owner per day and week, tasks done when they are done', async () => {
    await create('activities', { kind: 'call', subject: 'Intro', ownerId: 'rep-bo', occurredAt: `${today}T09:00:00.000Z` });
    await create('activities', { kind: 'meeting', subject: 'Demo', ownerId: 'rep-bo', occurredAt: `${today}T10:00:00.000Z` });
    const task = await create('activities', { kind: 'task', subject: 'Send quote', ownerId: 'rep-bo', assigneeId: 'rep-cy' });
    await call('PATCH', `/v1/activities/${task}`, { taskStatus: 'done' });

    const byDay = await report(`/v1/reports/activity?from=${today}&to=${today}&interval=day`);
    expect(byDay.periods).toHaveLength(1);
    const owners = Object.fromEntries(byDay.periods[0].owners.map((owner: { ownerId: string }) => [owner.ownerId, owner]));
    expect(owners['rep-bo']).toMatchObject({ calls: 1, meetings: 1, tasks: 1, tasksDone: 0 });
    expect(owners['rep-cy']).toMatchObject({ tasksDone: 1 });
    const byWeek = await report(`/v1/reports/activity?from=${today}&to=${today}`);
    expect(byWeek.interval).toBe('week');
    expect(byWeek.owners.find((owner: { ownerId: string }) => owner.ownerId === 'rep-bo')).toMatchObject({ calls: 1, meetings: 1 });
  });

  it('funnel: contacts per lifecycle stage, and the moves between them this month', async () => {
    const contacts = await Promise.all(['one', 'two', 'three'].map((name) => create('contacts', { firstName: name, lifecycleStage: 'lead' })));
    await call('PATCH', `/v1/contacts/${contacts[0]}`, { lifecycleStage: 'mql' });
    await call('PATCH', `/v1/contacts/${contacts[0]}`, { lifecycleStage: 'customer' });
    await call('PATCH', `/v1/contacts/${contacts[1]}`, { lifecycleStage: 'mql' });
    await call('DELETE', `/v1/contacts/${contacts[2]}`);

    const funnel = await report(`/v1/reports/funnel?from=${month}&to=${month}`);
    const stages = Object.fromEntries(funnel.stages.map((row: { stage: string; contacts: number }) => [row.stage, row.contacts]));
    expect(stages).toMatchObject({ lead: 0, mql: 1, customer: 1 });
    expect(funnel.months[0].moves).toEqual([
      { from: 'lead', to: 'mql', contacts: 2 },
      { from: 'mql', to: 'customer', contacts: 1 },
    ]);
  });

  it('email: per source, as far as each email got', async () => {
    const contact = await create('contacts', { firstName: 'Mailed', email: 'mailed@reports.example' });
    await call('POST', `/v1/contacts/${contact}/emails`, { subject: 'One', text: 'First' });
    await call('POST', `/v1/contacts/${contact}/emails`, { subject: 'Two', text: 'Second' });
    const template = await create('email-templates', { name: 'Report template', subject: 'Hello {{firstName}}', text: 'Templated' });
    await call('POST', `/v1/contacts/${contact}/emails`, { templateId: template });
    const email = await report(`/v1/reports/email?from=${month}&to=${month}`);
    expect(email.sources).toEqual([expect.objectContaining({ kind: 'api', id: null, sent: 3, rejected: 0, unsubscribed: 0 })]);
    expect(email.templates).toEqual([expect.objectContaining({ templateId: template, sent: 1, unsubscribeRate: 0 })]);
    expect(email.total).toMatchObject({ sent: 3 });
  });

  it('a rebuild from the records gives the same reports as the keeper', { timeout: 90_000 }, async () => {
    const paths = [
      '/v1/reports/pipeline',
      `/v1/reports/forecast?from=${month}&to=${month}`,
      `/v1/reports/win-rate?from=${month}&to=${month}`,
      `/v1/reports/activity?from=${today}&to=${today}&interval=day`,
      `/v1/reports/funnel?from=${month}&to=${month}`,
      `/v1/reports/email?from=${month}&to=${month}`,
    ];
    const kept = await Promise.all(paths.map((path) => report(path)));

    const config = loadConfig();
    const scan = tableScan(scanningClient(config), config.TABLE_NAME);
    let wiped = 0;
    await scan.forEachPage(async (items) => {
      for (const item of items.filter((candidate) => reportItemPrefixes.some((prefix) => candidate.pk.startsWith(prefix)))) {
        await api.table.client.send(new DeleteCommand({ TableName: config.TABLE_NAME, Key: { pk: item.pk, sk: item.sk } }));
        wiped++;
      }
    });
    expect(wiped).toBeGreaterThan(10);
    expect((await report('/v1/reports/pipeline')).total.openDeals).toBe(0);

    // The deployed way: the report-rebuild state machine's very definition, its step function behind it.
    const stepFunctions = await startStepFunctionsLocal({ stateMachines: localStateMachines() });
    try {
      const sfn = new SFNClient({ endpoint: stepFunctions.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: localStateMachineArn('reportRebuild'), input: JSON.stringify({ partition: 0, cursor: '', records: 0, mended: 0, waitSeconds: 0 }) }),
      );
      let execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      while (execution.status === 'RUNNING') {
        await sleep(100);
        execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      }
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
      const output = JSON.parse(execution.output!);
      expect(output).toMatchObject({ done: true, records: expect.any(Number) });
      expect(output.mended).toBeGreaterThan(10);
    } finally {
      await stepFunctions.stop();
    }
    expect(await Promise.all(paths.map((path) => report(path)))).toEqual(kept);

    // A second rebuild, one record per step (resumed after each, within pages of 2), reads the same records and finds nothing to mend.
    const runtime = createRuntime(config);
    let progress = await rebuildReportsStep(runtime, REBUILD_START, () => false, 2);
    let steps = 1;
    for (; !progress.done; steps++) progress = await rebuildReportsStep(runtime, progress, () => false, 2);
    expect(progress.mended).toBe(0);
    expect(progress.records).toBeGreaterThan(10);
    expect(steps).toBeGreaterThanOrEqual(progress.records);
    expect(await rebuildReports(runtime)).toEqual({ records: progress.records, mended: 0 });
    // A cursor no step returned is refused, not handed to DynamoDB.
    await expect(rebuildReportsStep(runtime, { ...REBUILD_START, cursor: Buffer.from('{"pk":"CONTACT#x"}').toString('base64url') }, () => false)).rejects.toThrow(InvalidCursorError);
    await expect(rebuildReportsStep(runtime, { ...REBUILD_START, cursor: 'not a cursor' }, () => false)).rejects.toThrow(InvalidCursorError);
  });

  it('refuses bad ranges and lets only admins set the currency', async () => {
    for (const path of [
      '/v1/reports/forecast?from=2026-13',
      '/v1/reports/forecast?from=0000-01&to=0000-02',
      '/v1/reports/forecast?from=2026-05&to=2026-01',
      '/v1/reports/win-rate?from=2020-01&to=2026-01',
      '/v1/reports/activity?from=2026-01-01&to=2026-12-31&interval=day',
      '/v1/reports/activity?from=0001-01-01&to=9999-12-31',
      '/v1/reports/pipeline?pipelineId=nope',
      '/v1/reports/forecast?pipelineId=nope',
      '/v1/reports/win-rate?ownerId=nobody',
      '/v1/reports/activity?ownerId=nobody',
    ]) {
      const response = await api.request('GET', path);
      expect(response.status, path).toBe(400);
    }
    const viewer = { kind: 'user', id: 'viewer-1', role: 'viewer' } as const;
    expect((await api.request('GET', '/v1/reports/pipeline', { as: viewer })).status).toBe(200);
    expect((await api.request('PUT', '/v1/reports/settings', { as: { kind: 'user', id: 'm', role: 'manager' }, body: { currency: 'EUR' } })).status).toBe(403);
    expect((await api.request('PUT', '/v1/reports/settings', { body: { currency: 'euro' } })).status).toBe(400);
    expect((await api.request('PUT', '/v1/reports/settings', { body: { currency: 'USD', rates: { EUR: 1e-300 } } })).status).toBe(400);
    // The last days of year 9999: a short range at the end of the calendar, answered at once.
    expect((await api.request('GET', '/v1/reports/activity?from=9999-12-25&to=9999-12-31&interval=day')).status).toBe(200);
  });
});
