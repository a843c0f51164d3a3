import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey, mintToken } from '../../local/local-jwt';
import { scanningClient } from '../../migrations/table-scan';
import { startDelayingProxy, type DelayingProxy } from '../support/delaying-proxy';
import { createTestTable, type TestTable } from '../support/local-dynamodb';

/**
 * A request with an Idempotency-Key whose process dies half-way: the crash test that
 * found a retry re-running a whole batch (124 activities for 100 inputs). The gateway
 * runs in a child process that is killed while it writes (a batch is written a few
 * transactions at a time; the second is held back, so the kill lands between them); a retry is refused while the
 * key is in progress (until the dead invocation's timeout), then runs and finds what the
 * first attempt wrote instead of writing it again.
 */

const GATEWAY_PROCESS = fileURLToPath(new URL('../support/processes/gateway-process.ts', import.meta.url));
// Long enough for any request to finish on a busy machine (a 3 s timeout cut a retry of the
// batch off in CI; 6 s and 10 s were not enough in full local runs, where DynamoDB Local
// serves every test file at once): a timed-out request answers 500 and leaves the key in progress.
const FUNCTION_TIMEOUT_SECONDS = 20;
const INPUTS = 100;

let table: TestTable;
let slowTable: DelayingProxy;
let signingKeyFile: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  table = await createTestTable();
  // The first batch's second transaction is held back, long enough to kill the process after its first landed.
  slowTable = await startDelayingProxy(table.endpoint, (operation, earlier) => (operation === 'TransactWriteItems' && earlier === 1 ? 2_000 : 0));
  signingKeyFile = join(await mkdtemp(join(tmpdir(), 'crm-crash-')), 'signing-key.json');
  await loadOrCreateSigningKey(signingKeyFile);
});
afterAll(() => slowTable.close());
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function startGatewayProcess(): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', GATEWAY_PROCESS], {
    env: { ...process.env, TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: slowTable.endpoint, SIGNING_KEY_FILE: signingKeyFile, FUNCTION_TIMEOUT_SECONDS: String(FUNCTION_TIMEOUT_SECONDS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening (\S+)/.exec(output)?.[1];
      if (url) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`the gateway process exited (${code}) before listening`)));
  });
}

/** Items of one kind in the test's table (a Scan: this is the test looking, not the API). */
async function countEntities(entity: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await scanningClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: table.endpoint }).send(new ScanCommand({ TableName: table.tableName, FilterExpression: 'entity = :entity', ExpressionAttributeValues: { ':entity': entity }, Select: 'COUNT', ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

describe('an idempotent batch whose process crashed', () => {
  it('is refused while in progress, then completes without writing any input twice', async () => {
    const token = await mintToken(await loadOrCreateSigningKey(signingKeyFile), { kind: 'client', id: 'importer', scopes: ['crm/write'] });
    const send = (url: string) =>
      fetch(`${url}/v1/activities/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'import-2026-11-30' },
        body: JSON.stringify({ inputs: Array.from({ length: INPUTS }, (_, n) => ({ kind: 'note', subject: `Imported note ${n}`, body: 'From the old CRM' })) }),
      });

    const first = await startGatewayProcess();
    const crashed = send(first).catch(() => undefined);
    // Killed as soon as some, but not all, of the batch is written.
    for (let written = 0; written < 20; written = await countEntities('activity')) await new Promise((resolve) => setTimeout(resolve, 5));
    children[0]!.kill('SIGKILL');
    await crashed;
    const writtenBeforeCrash = await countEntities('activity');
    expect(writtenBeforeCrash).toBeGreaterThan(0);

    const second = await startGatewayProcess();
    const whileInProgress = await send(second);
    expect(whileInProgress.status).toBe(409);
    expect(((await whileInProgress.json()) as { type: string }).type).toContain('request-in-progress');

    // Once the dead invocation's timeout has passed, the retry runs. A client retries a 409 in
    // progress and a 5xx (a retry that timed out) alike, with the same key.
    let retried = await send(second);
    for (const deadline = Date.now() + 6 * FUNCTION_TIMEOUT_SECONDS * 1000; (retried.status === 409 || retried.status >= 500) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      retried = await send(second);
    }
    expect(retried.status).toBe(200);
    const results = ((await retried.json()) as { results: { status: number; record: { id: string } }[] }).results;
    expect(results).toHaveLength(INPUTS);
    expect(new Set(results.map((result) => result.record.id)).size).toBe(INPUTS);
    // Every input written once: the records, and one creation entry on each timeline.
    expect(await countEntities('activity')).toBe(INPUTS);
    expect(await countEntities('timelineChange')).toBe(INPUTS);

    const replayed = await send(second);
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  }, 240_000);
});
