import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { loadConfig } from '../adapters/config';
import { takeMeteredCalls } from '../adapters/dynamodb/capacity-meter';
import { createRuntime } from '../adapters/runtime';
import { S3ImportFiles } from '../adapters/s3/s3-import-files';
import { itemToJob } from '../domain/imports/import-job';
import { createImport, startImport, type ImportDependencies } from '../domain/imports/imports';
import { runImportInProcess } from '../local/import-run';
import { exportJobKey, importJobKey } from '../domain/shared/keys';
import { createExport, runExportStep, type ExportDependencies } from '../domain/exports/exports';
import { itemToJob as exportItemToJob } from '../domain/exports/export-job';
import { noteSignedInUser } from '../domain/owners/owners';
import { LOCAL_EXPORT_BUCKET, startS3Local } from '../local/s3-local';
import type { BenchEnvironment } from './bench-environment';
import { documentedCapacity } from './capacity-rules';
import { batchWriteItems, contactInput, contactWriteItems } from './contact-items';
import { peakLiveHeapDuring } from './live-heap';

/**
 * CSV imports: rows per second of the import's own code (the file uploaded through the import's
 * presigned URL, one row in 1,000 bad and reported in the error report; read from the local S3 with
 * ranged GETs and csv-parse, each batch of 100 written by the batch route's code: validation,
 * upsert on email, history, audit, transactions), against raw BatchWriteItem of the very items
 * those contacts are (record, email guard, first timeline entry), in the same run; write units
 * per row by the documented rules, which price an import deployed; and the import's peak live
 * heap at two file sizes, which should not grow with the file. Steps run as the state machine
 * runs them: the split, then IMPORT_CONCURRENT_RANGES ranges at once (its Map state), then the
 * last steps.
 */

export interface ImportSize {
  readonly rows: number;
  readonly fileMiB: number;
  readonly importRowsPerSecond: number;
  readonly rawRowsPerSecond: number;
  /** importRowsPerSecond / rawRowsPerSecond. */
  readonly ratio: number;
  /** Write units of the import's table calls per row, by the documented rules (the raw path's in `rawWcuPerRow`). */
  readonly wcuPerRow: number;
  readonly rawWcuPerRow: number;
  readonly peakHeapMiB: number;
}

export interface ImportBench {
  readonly sizes: readonly ImportSize[];
  readonly parallelBatches: number;
  readonly concurrentRanges: number;
  readonly heapRatio: number;
  /** The largest import's contacts exported to CSV and that file imported again: every row should come back unchanged. */
  readonly roundTrip?: { readonly exported: number; readonly unchanged: number; readonly created: number; readonly updated: number; readonly failed: number; readonly rowsPerSecond: number };
}

const admin = { type: 'user', id: 'bench-admin', role: 'admin' } as const;
const HEADER = ['First Name', 'Last Name', 'Email', 'Phone', 'Job Title', 'Lifecycle Stage', 'Owner'];

/** One row in this many has an email no address can have: the import must report each, by line. */
const BAD_ROW_EVERY = 1_000;

/** Each size's rows have an owner of their own, so an export of that owner's contacts is exactly the import's. */
const ownerOf = (tag: string) => `owner-${tag}`;

function contactsCsv(first: number, rows: number, tag: string): Buffer {
  const lines = [HEADER];
  for (let n = first; n < first + rows; n++) {
    const input = contactInput(n, tag);
    const email = (n - first) % BAD_ROW_EVERY === BAD_ROW_EVERY - 1 ? `not-an-email-${n}` : input.email;
    lines.push([input.firstName, input.lastName, email, input.phone, input.title, input.lifecycleStage, ownerOf(tag)] as string[]);
  }
  return Buffer.from(stringify(lines, { record_delimiter: '\r\n' }));
}

export async function measureImports(env: BenchEnvironment, { sizes, rawConcurrency }: { sizes: readonly number[]; rawConcurrency: number }): Promise<ImportBench> {
  const s3 = await startS3Local({ directory: await mkdtemp(join(tmpdir(), 'crm-bench-s3-')) });
  try {
    const config = loadConfig();
    const s3Config = { AWS_REGION: config.AWS_REGION, S3_ENDPOINT: s3.endpoint, EXPORT_BUCKET: LOCAL_EXPORT_BUCKET };
    // Two ranges at once: DynamoDB Local runs transactions one at a time, and more writers in flight only make it refuse some for a lock it waited on too long.
    const concurrentRanges = Math.min(2, config.IMPORT_CONCURRENT_RANGES);
    // Ranges small enough that the smallest file has as many as run at once: every size then runs the same number of range steps side by side, and the heaps compare.
    const rowsPerStep = Math.min(config.IMPORT_ROWS_PER_STEP, Math.ceil(sizes[0]! / concurrentRanges));
    const deps: ImportDependencies = { ...createRuntime(config), files: new S3ImportFiles(s3Config), partBytes: 8 * 1024 * 1024, rowsPerStep, parallelBatches: config.IMPORT_PARALLEL_BATCHES, concurrentRanges };

    let firstRow = 10_000_000;
    /** Uploads a file as a client does (a PUT to the presigned URL the import answers) and runs the import's steps to the end. */
    const runImport = async (file: Buffer | string) => {
      const job = await createImport(deps, { type: 'contacts', dryRun: false }, admin);
      const upload = await fetch(await deps.files.uploadUrl(job.objectKey, 3_600), { method: 'PUT', body: file });
      if (upload.status !== 200) throw new Error(`the upload answered ${upload.status}`);
      await startImport(deps, job.id, admin);
      takeMeteredCalls();
      const start = performance.now();
      await runImportInProcess(deps, job.id);
      return { seconds: (performance.now() - start) / 1000, finished: itemToJob(await deps.table.getItem(importJobKey(job.id)))! };
    };
    const importFile = async (rows: number, tag: string): Promise<{ seconds: number; fileMiB: number; wcuPerRow: number }> => {
      const file = contactsCsv(firstRow, rows, tag);
      firstRow += rows;
      await noteSignedInUser(deps, { id: ownerOf(tag) });
      const { seconds, finished } = await runImport(file);
      const wcuPerRow = documentedCapacity(takeMeteredCalls()).write / rows;
      const bad = Math.floor(rows / BAD_ROW_EVERY);
      if (finished.status !== 'done' || finished.counts.created !== rows - bad || finished.counts.failed !== bad || (bad > 0 && !finished.report.written)) {
        throw new Error(`the import of ${rows} rows (${bad} bad) ended ${finished.status} with ${JSON.stringify(finished.counts)}`);
      }
      return { seconds, fileMiB: file.length / 2 ** 20, wcuPerRow };
    };

    /** Raw BatchWriteItem of the items `rows` new contacts are; in a function of its own, so the items are garbage before the heap is measured. */
    const writeRaw = async (rows: number) => {
      const items = (await Promise.all(Array.from({ length: rows }, (_, n) => contactWriteItems(20_000_000 + firstRow + n, `importr${rows}`)))).flat();
      takeMeteredCalls();
      const rawStart = performance.now();
      await batchWriteItems(env.documentClient, env.tableName, items, rawConcurrency);
      return { rawSeconds: (performance.now() - rawStart) / 1000, rawWcuPerRow: documentedCapacity(takeMeteredCalls()).write / rows };
    };

    // Warm the import's code and DynamoDB Local's transaction path before timing anything.
    await importFile(500, 'importw');
    const results: ImportSize[] = [];
    for (const rows of sizes) {
      const timed = await importFile(rows, `import${rows}`);
      const { rawSeconds, rawWcuPerRow } = await writeRaw(rows);
      // Measured in a run of its own: the collections would slow the timed one.
      const peakHeapMiB = await peakLiveHeapDuring(async () => void (await importFile(rows, `importm${rows}`)), 50);
      const importRowsPerSecond = rows / timed.seconds;
      const rawRowsPerSecond = rows / rawSeconds;
      results.push({ rows, fileMiB: timed.fileMiB, importRowsPerSecond, rawRowsPerSecond, ratio: importRowsPerSecond / rawRowsPerSecond, wcuPerRow: timed.wcuPerRow, rawWcuPerRow, peakHeapMiB });
      // Each size as it is measured: the 100,000-row sizes take the better part of an hour locally, and a run stopped later would otherwise show nothing.
      console.log(`(imports) ${rows} rows: ${importRowsPerSecond.toFixed(0)} rows/s against raw ${rawRowsPerSecond.toFixed(0)}; peak live heap ${peakHeapMiB.toFixed(1)} MiB`);
    }

    // The round trip: the largest timed import's contacts (its owner's) exported as CSV, downloaded and imported again.
    const largest = sizes.at(-1)!;
    const exportDeps: ExportDependencies = { ...deps, partBytes: 8 * 1024 * 1024 };
    const exportJob = await createExport(exportDeps, { type: 'contacts', format: 'csv', filters: { ownerId: ownerOf(`import${largest}`) } }, admin);
    for (let done = false; !done; ) done = (await runExportStep(exportDeps, exportJob.id)).done;
    const exported = exportItemToJob(await deps.table.getItem(exportJobKey(exportJob.id)))!;
    const download = await fetch(await deps.files.downloadUrl(exported.objectKey, 'round-trip.csv', 600));
    const { finished: back, seconds } = await runImport(await download.text());
    const roundTrip = { exported: exported.rows, ...back.counts, rowsPerSecond: exported.rows / seconds };
    if (roundTrip.unchanged !== exported.rows || back.status !== 'done') throw new Error(`the round trip of ${exported.rows} exported contacts came back ${back.status} with ${JSON.stringify(back.counts)}`);
    return { sizes: results, parallelBatches: deps.parallelBatches, concurrentRanges: deps.concurrentRanges, heapRatio: results.at(-1)!.peakHeapMiB / Math.max(results[0]!.peakHeapMiB, 0.001), roundTrip };
  } finally {
    await s3.stop();
  }
}

export function importsTable({ sizes, parallelBatches, concurrentRanges, heapRatio, roundTrip }: ImportBench): string {
  const rows = sizes.map(
    (size) =>
      `| ${size.rows} | ${size.fileMiB.toFixed(2)} MiB | ${size.importRowsPerSecond.toFixed(0)} | ${size.rawRowsPerSecond.toFixed(0)} | ${size.ratio.toFixed(2)}x | ${size.wcuPerRow.toFixed(1)} | ${size.rawWcuPerRow.toFixed(1)} | ${size.peakHeapMiB.toFixed(1)} MiB |`,
  );
  return [
    '',
    `## Imports (new contacts from CSV in the local S3; ${concurrentRanges} ranges at once, each with ${parallelBatches} batches of 100 in flight)`,
    '',
    '| rows | file | import rows/s | raw BatchWriteItem rows/s | ratio | WCU/row (rules) | raw WCU/row | peak live heap |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Peak live heap, largest file over smallest: ${heapRatio.toFixed(2)}x for ${(sizes.at(-1)!.rows / sizes[0]!.rows).toFixed(0)}x the rows; flat means the ranges hold their batches in flight, not the file.`,
    'The import writes each contact in a transaction with its guard and timeline entry (billed twice, as transactions are), plus its audit trail: the WCU columns price a deployed import.',
    ...(roundTrip
      ? [
          `Round trip: the ${sizes.at(-1)!.rows}-row import's ${roundTrip.exported} contacts exported to CSV, downloaded and imported again at ${roundTrip.rowsPerSecond.toFixed(0)} rows/s: ${roundTrip.unchanged} unchanged, ${roundTrip.updated} updated, ${roundTrip.created} created, ${roundTrip.failed} failed.`,
        ]
      : []),
  ].join('\n');
}
