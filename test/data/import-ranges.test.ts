import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime } from '../../adapters/runtime';
import { S3ImportFiles } from '../../adapters/s3/s3-import-files';
import { itemToJob } from '../../domain/imports/import-job';
import { cancelImport, createImport, getImport, runImportRangeStep, runImportStep, startImport, type ImportDependencies } from '../../domain/imports/imports';
import { runImportInProcess } from '../../local/import-run';
import { noteSignedInUser } from '../../domain/owners/owners';
import { contactModel } from '../../domain/records/contact';
import { findByUniqueValue } from '../../domain/records/get-record';
import type { Actor } from '../../domain/shared/actor';
import { importJobKey } from '../../domain/shared/keys';
import type { CrmTablePort, WriteOp } from '../../domain/shared/table-port';
import { ServiceUnavailableError } from '../../domain/shared/errors';
import { LOCAL_EXPORT_BUCKET, startS3Local, type S3Local } from '../../local/s3-local';
import { createTestTable } from '../support/local-dynamodb';

/**
 * An import's ranges on DynamoDB Local and the local S3, driven as the import state machine
 * drives them (steps, then the ranges a step hands out, `concurrency` at once, as its Map
 * state does; a failed step retried, as its Retry does): the split cuts only where a record
 * starts, ranges written side by side lose and double nothing, and a range whose step fails
 * after writing its rows, before saving where it got, resumes from its saved position.
 */

const admin: Actor = { type: 'user', id: 'import-admin', role: 'admin' };
let s3: S3Local;
let s3Directory: string;
let deps: ImportDependencies;
/** Range indexes whose progress save fails once (the step's rows written, its position not). */
const failRangeSaveOnce = new Set<number>();
/** Record writes the table refuses as throttled (after the SDK's own retries), from now on. */
let throttledWrites = 0;
const throttled = () => throttledWrites > 0 && throttledWrites-- > 0;
const writesContact = (ops: readonly WriteOp[]) => ops.some((op) => op.op === 'put' && op.item.entity === 'contact');
/** Contacts the table writes before it refuses every write of one as throttled; undefined: no limit. */
let refuseContactWritesAfter: number | undefined;
/** Reads of this partition take 3 s, while set. */
let slowReadsOf: string | undefined;
/** Contacts the table refuses to write, as throttled, while set. */
let refuseEmails: RegExp | undefined;
const refused = (ops: readonly WriteOp[]) => {
  if (ops.some((op) => op.op === 'put' && op.item.entity === 'contact' && refuseEmails?.test(op.item.email as string))) return true;
  if (refuseContactWritesAfter === undefined) return false;
  const contacts = ops.filter((op) => op.op === 'put' && op.item.entity === 'contact').length;
  if (contacts > refuseContactWritesAfter) return true;
  refuseContactWritesAfter -= contacts;
  return false;
};

beforeAll(async () => {
  const table = await createTestTable();
  s3Directory = await mkdtemp(join(tmpdir(), 'crm-test-s3-'));
  s3 = await startS3Local({ directory: s3Directory });
  const config = loadConfig({ ...process.env, TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint });
  const runtime = createRuntime(config);
  const failing: CrmTablePort = Object.create(runtime.table, {
    getItem: {
      value: async (key: { pk: string; sk: string }) => {
        if (key.pk === slowReadsOf) await new Promise((wake) => setTimeout(wake, 3_000));
        return runtime.table.getItem(key);
      },
    },
    transactWrite: {
      value: async (ops: readonly WriteOp[]) => {
        const range = ops.length === 1 && ops[0]!.op === 'put' && ops[0]!.item.entity === 'importRange' ? (ops[0]!.item.index as number) : undefined;
        if (range !== undefined && failRangeSaveOnce.delete(range)) throw new Error(`range ${range}: the step stopped before saving`);
        if (writesContact(ops) && (throttled() || refused(ops))) throw new ServiceUnavailableError('throttled');
        return runtime.table.transactWrite(ops);
      },
    },
    tryTransactWrite: {
      value: async (ops: readonly WriteOp[]) => {
        if (writesContact(ops) && (throttled() || refused(ops))) throw new ServiceUnavailableError('throttled');
        return runtime.table.tryTransactWrite(ops);
      },
    },
  });
  deps = {
    ...runtime,
    table: failing,
    files: new S3ImportFiles({ AWS_REGION: config.AWS_REGION, S3_ENDPOINT: s3.endpoint, EXPORT_BUCKET: LOCAL_EXPORT_BUCKET }),
    partBytes: 8 * 1024 * 1024,
    rowsPerStep: 30,
    parallelBatches: 2,
    concurrentRanges: 3,
  };
  await noteSignedInUser(deps, { id: admin.id });
});
afterAll(async () => {
  await s3?.stop();
  if (s3Directory) await rm(s3Directory, { recursive: true, force: true });
});

const runToEnd = (id: string) => runImportInProcess(deps, id, { pauseMs: 100 });

/** An import of `file`, uploaded through its URL and started, with `importDeps` (the file's own settings, clock or batches in flight) or the file's. */
async function uploadedImport(file: string, importDeps: ImportDependencies = deps): Promise<string> {
  const job = await createImport(importDeps, { type: 'contacts', dryRun: false }, admin);
  const upload = await fetch(await importDeps.files.uploadUrl(job.objectKey, 600), { method: 'PUT', body: file });
  expect(upload.status).toBe(200);
  await startImport(importDeps, job.id, admin);
  return job.id;
}

describe('import ranges', () => {
  it('splits where records start, writes ranges side by side, and resumes a range whose step failed after writing', { timeout: 120_000 }, async () => {
    // 200 rows: ranges of 30 (rowsPerStep), so 7; a quoted line break in the rows either side of every boundary; one
    // address in three ranges (the last of them spelled in capitals); one bad row.
    const rows: string[][] = [['email', 'firstName', 'lastName']];
    for (let n = 0; n < 200; n++) {
      const email = n === 5 || n === 65 ? 'shared@ranges.example' : n === 125 ? 'SHARED@ranges.example' : n === 100 ? 'not-an-email' : `row${n}@ranges.example`;
      rows.push([email, `First${n}`, n % 30 === 29 || n % 30 === 0 ? `Two\nlines ${n}` : `Last${n}`]);
    }
    const file = stringify(rows, { record_delimiter: '\n' });
    failRangeSaveOnce.add(3);

    const id = await uploadedImport(file);
    const run = await runToEnd(id);

    expect(run.rangesHandedOut).toEqual([[0, 1, 2, 3, 4, 5, 6]]);
    expect(run.mostRangesAtOnce).toBe(3);
    expect(failRangeSaveOnce.size, 'the failure was injected').toBe(0);
    const job = itemToJob(await deps.table.getItem(importJobKey(id)))!;
    // Each boundary is a record's start, kept as the line before it: the header is line 1, and 30 rows, two of them of two lines, take 32.
    expect(job.ranges.map((range) => range.line)).toEqual([1, 33, 65, 97, 129, 161, 193]);
    const view = await getImport(deps, id, admin);
    expect(view).toMatchObject({ status: 'done', rowsTotal: 200, rows: 200, failed: 1 });
    // 197 distinct addresses created; the shared one's two other rows update or find it; the retried range's rows are found again.
    expect(view.created + view.updated + view.unchanged).toBe(199);
    expect(view.created).toBeLessThanOrEqual(197);
    for (let n = 0; n < 200; n++) {
      if (n === 5 || n === 65 || n === 125 || n === 100) continue;
      const contact = await findByUniqueValue(deps, contactModel, `row${n}@ranges.example`);
      expect(contact, `row ${n}`).toMatchObject({ firstName: `First${n}` });
      expect(contact!.lastName).toBe(n % 30 === 29 || n % 30 === 0 ? `Two\nlines ${n}` : `Last${n}`);
    }
    const shared = await findByUniqueValue(deps, contactModel, 'shared@ranges.example');
    expect(['First5', 'First65', 'First125']).toContain(shared!.firstName);

    // The same file again: every row found as it is.
    const again = await uploadedImport(file);
    await runToEnd(again);
    const second = await getImport(deps, again, admin);
    expect(second).toMatchObject({ status: 'done', rowsTotal: 200, created: 0, failed: 1 });
    // The shared address's three rows differ from each other: each updates it unless it holds that row's name already.
    expect(second.unchanged + second.updated).toBe(199);
    expect(second.unchanged).toBeGreaterThanOrEqual(196);
  });

  it('numbers lines as an editor does in a CRLF file whose quoted cells hold CRLF line breaks', { timeout: 60_000 }, async () => {
    // csv-parse counts a CRLF inside quotes as two lines (its CR and its LF each): the report would point past the bad row.
    const rows: string[][] = [['email', 'firstName', 'lastName']];
    for (let n = 0; n < 60; n++) rows.push([n === 45 ? 'not-an-email' : `crlf${n}@ranges.example`, `Crlf${n}`, n === 29 || n === 30 ? `Two\r\nlines ${n}` : `Last${n}`]);
    const id = await uploadedImport(stringify(rows, { record_delimiter: '\r\n' }));
    await runToEnd(id);
    const job = itemToJob(await deps.table.getItem(importJobKey(id)))!;
    // Row n starts on line n + 2, plus one for each two-line row before it.
    expect(job.ranges.map((range) => range.line)).toEqual([1, 32]);
    const view = await getImport(deps, id, admin);
    expect(view).toMatchObject({ status: 'done', rows: 60, failed: 1 });
    const report = await (await fetch(view.errorReportUrl!)).text();
    expect(report.split('\n')[1]).toMatch(/^49,/);
    expect((await findByUniqueValue(deps, contactModel, 'crlf30@ranges.example'))!.lastName).toBe('Two\r\nlines 30');
  });

  it('saves the progress of a range while it runs: rows moves, and a retried step goes on from the last save', { timeout: 60_000 }, async () => {
    // A clock 11 s further on at each reading: a save after every batch (PROGRESS_SAVE_MS is 10 s).
    let now = Date.now();
    const ticking = { ...deps, rowsPerStep: 1_000, parallelBatches: 1, clock: { now: () => new Date((now += 11_000)), sleep: deps.clock.sleep } };
    const rows = Array.from({ length: 500 }, (_, n) => [`progress${n}@ranges.example`, `Progress${n}`]);
    const id = await uploadedImport(stringify([['email', 'firstName'], ...rows]), ticking);
    expect(await runImportStep(ticking, id, () => true)).toEqual({ done: false, ranges: [0], concurrency: 3 });

    // The third batch's writes throttled until the step gives up: the two before it are saved, with where they ended.
    refuseContactWritesAfter = 200;
    await expect(runImportRangeStep(ticking, id, 0, () => true)).rejects.toThrow(/throttled/);
    refuseContactWritesAfter = undefined;
    expect(await getImport(ticking, id, admin)).toMatchObject({ status: 'running', rows: 200, created: 200 });

    await runImportInProcess(ticking, id, { pauseMs: 100 });
    // Not one row read twice: a retry from the range's start would find 200 rows unchanged.
    expect(await getImport(ticking, id, admin)).toMatchObject({ status: 'done', rows: 500, created: 500, unchanged: 0, failed: 0 });
  });

  it('fails the step when a batch fails while the step waits on something else, rather than saving past its rows', { timeout: 90_000 }, async () => {
    // Four batches in flight; at row 1,000 the step reads the job for a cancel, slowly, and the ninth batch (rows 800 to 899, all refused) fails meanwhile.
    const fast = { ...deps, rowsPerStep: 5_000, parallelBatches: 4 };
    const rows = Array.from({ length: 1_100 }, (_, n) => [`unseen${n}@ranges.example`, `Unseen${n}`]);
    const id = await uploadedImport(stringify([['email', 'firstName'], ...rows]), fast);
    await runImportStep(fast, id, () => true);
    refuseEmails = /^unseen8\d\d@/;
    slowReadsOf = importJobKey(id).pk;
    await expect(runImportRangeStep(fast, id, 0, () => true)).rejects.toThrow(/throttled/);
    refuseEmails = undefined;
    slowReadsOf = undefined;
    await runImportInProcess(fast, id, { pauseMs: 100 });
    expect(await getImport(fast, id, admin)).toMatchObject({ status: 'done', rows: 1_100, failed: 0 });
    for (let n = 800; n < 900; n++) expect(await findByUniqueValue(deps, contactModel, `unseen${n}@ranges.example`), `row ${n}`).toBeDefined();
  });

  it('writes the error report of a cancelled import for the rows it read before the cancel', { timeout: 60_000 }, async () => {
    // Ranges of 30; the first range's rows 3 and 17 are bad, as is one in the third range, which the cancel comes before.
    const rows = Array.from({ length: 90 }, (_, n) => [n === 3 || n === 17 || n === 70 ? `bad-${n}` : `cancel${n}@ranges.example`, `Cancel${n}`]);
    const id = await uploadedImport(stringify([['email', 'firstName'], ...rows]));
    expect(await runImportStep(deps, id, () => true)).toMatchObject({ ranges: [0, 1, 2] });
    while (!(await runImportRangeStep(deps, id, 0, () => true)).done);
    await cancelImport(deps, id, admin);
    const run = await runToEnd(id);
    expect(run.rangesHandedOut, 'no range handed out after the cancel').toEqual([]);

    const view = await getImport(deps, id, admin);
    expect(view).toMatchObject({ status: 'cancelled', rows: 30, created: 28, failed: 2 });
    const report = (await (await fetch(view.errorReportUrl!)).text()).trim().split('\n');
    expect(report.map((line) => line.split(',')[0])).toEqual(['line', '5', '19']);
    expect(await findByUniqueValue(deps, contactModel, 'cancel40@ranges.example')).toBeUndefined();
  });

  it('reports after a cancel only the failed rows it counts: none a failed step left behind', { timeout: 60_000 }, async () => {
    const rows = Array.from({ length: 60 }, (_, n) => [n === 3 || n === 40 ? `stale-${n}` : `stale${n}@ranges.example`, `Stale${n}`]);
    const id = await uploadedImport(stringify([['email', 'firstName'], ...rows]));
    await runImportStep(deps, id, () => true);
    while (!(await runImportRangeStep(deps, id, 0, () => true)).done);
    // Range 1 writes its rows and its failed row, then fails to save where it got; the cancel comes before its retry.
    failRangeSaveOnce.add(1);
    await expect(runImportRangeStep(deps, id, 1, () => true)).rejects.toThrow(/stopped before saving/);
    await cancelImport(deps, id, admin);
    await runToEnd(id);

    const view = await getImport(deps, id, admin);
    expect(view).toMatchObject({ status: 'cancelled', rows: 30, failed: 1 });
    const report = (await (await fetch(view.errorReportUrl!)).text()).trim().split('\n');
    expect(report.map((line) => line.split(',')[0])).toEqual(['line', '5']);
  });

  it('retries a step whose rows the table throttled, rather than reporting them as bad rows', { timeout: 60_000 }, async () => {
    const rows = Array.from({ length: 90 }, (_, n) => [`throttled${n}@ranges.example`, `Throttled${n}`]);
    const id = await uploadedImport(stringify([['email', 'firstName'], ...rows]));
    throttledWrites = 40;
    await runToEnd(id);
    expect(throttledWrites, 'every throttled write was refused').toBe(0);
    expect(await getImport(deps, id, admin)).toMatchObject({ status: 'done', rows: 90, failed: 0, errorReportUrl: null });
    for (let n = 0; n < 90; n++) expect(await findByUniqueValue(deps, contactModel, `throttled${n}@ranges.example`), `row ${n}`).toBeDefined();
  });

  it('hands out again the ranges a step left unfinished, and counts a file with no data rows', { timeout: 60_000 }, async () => {
    const empty = await uploadedImport('email,firstName\n');
    expect((await runToEnd(empty)).rangesHandedOut).toEqual([[0]]);
    expect(await getImport(deps, empty, admin)).toMatchObject({ status: 'done', rowsTotal: 0, rows: 0, created: 0 });

    const rows = Array.from({ length: 70 }, (_, n) => [`left${n}@ranges.example`, `Left${n}`]);
    const id = await uploadedImport(stringify([['email', 'firstName'], ...rows]));
    const split = await runImportStep(deps, id, () => true);
    expect(split).toEqual({ done: false, ranges: [0, 1, 2], concurrency: 3 });
    // Only range 1 written before the next step (a Map cut short): that step hands out 0 and 2 again.
    while (!(await runImportRangeStep(deps, id, 1, () => true)).done);
    expect(await getImport(deps, id, admin)).toMatchObject({ status: 'running', rowsTotal: 70, rows: 30 });
    expect(await runImportStep(deps, id, () => true)).toEqual({ done: false, ranges: [0, 2], concurrency: 3 });
    await runToEnd(id);
    expect(await getImport(deps, id, admin)).toMatchObject({ status: 'done', rows: 70, created: 70 });
    await expect(runImportRangeStep(deps, id, 3, () => true)).resolves.toEqual({ done: true });
  });
});
