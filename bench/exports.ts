import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../adapters/config';
import { takeMeteredCalls } from '../adapters/dynamodb/capacity-meter';
import { peakLiveHeapDuring } from './live-heap';
import { createRuntime } from '../adapters/runtime';
import { createExport, runExportStep, type ExportDependencies, type ExportFiles } from '../domain/exports/exports';
import { itemToJob } from '../domain/exports/export-job';
import { noteSignedInUser } from '../domain/owners/owners';
import { exportJobKey, recordKeys } from '../domain/shared/keys';
import type { BenchEnvironment } from './bench-environment';
import { documentedCapacity } from './capacity-rules';
import { contactInput } from './contact-items';
import { createThroughBatch } from './fixtures';

/**
 * Exports: rows per second of the export's own code (listing pages as the list route does,
 * writing CSV, one part per 8 MiB) against the least work that reads the same records (raw
 * BatchGetItem by id, JSON per row), in the same run; and the export's peak heap at two
 * sizes, which should not grow with the file. S3 is left out: parts go to a sink that counts
 * bytes and drops them, as an upload would send them and let them go. The heap is sampled
 * after full collections (`npm run bench` runs with --expose-gc), in a second run of the same
 * export: what the export holds, not the garbage it leaves.
 */

export interface ExportSize {
  readonly contacts: number;
  readonly bytes: number;
  readonly parts: number;
  /** Read units of the export's table calls (the job's too) per 1,000 rows, by the documented rules. */
  readonly readUnitsPer1000Rows: number;
  readonly exportRowsPerSecond: number;
  readonly rawRowsPerSecond: number;
  /** exportRowsPerSecond / rawRowsPerSecond. */
  readonly ratio: number;
  /** Highest heap still in use after a collection while exporting, above the heap before it (MiB). */
  readonly peakHeapMiB: number;
}

export interface ExportBench {
  readonly sizes: readonly ExportSize[];
  /** Peak heap of the largest export over the smallest's: about 1 when memory does not grow with the file. */
  readonly heapRatio: number;
}

// Smaller than the deployed 8 MiB so that the bench's files span several parts: memory should
// then stay at about one part and one page, however many parts the file has.
const PART_BYTES = 256 * 1024;
const admin = { type: 'user', id: 'bench-admin', role: 'admin' } as const;

/** Counts what would be uploaded and keeps none of it. */
function countingSink(): ExportFiles & { bytes: number; parts: number } {
  return {
    bytes: 0,
    parts: 0,
    startUpload: async () => 'bench-upload',
    async uploadPart(_key, _uploadId, partNumber, body) {
      this.bytes += Buffer.byteLength(body);
      this.parts++;
      return `"etag-${partNumber}"`;
    },
    completeUpload: async () => undefined,
    abortUpload: async () => undefined,
    downloadUrl: async () => 'https://bench.invalid/',
  };
}

export async function measureExports(env: BenchEnvironment, { sizes }: { sizes: readonly number[] }): Promise<ExportBench> {
  const results: ExportSize[] = [];
  for (const contacts of sizes) {
    // An owner of their own: the owner's list is read from the records' own index keys, no stream consumer involved.
    const ownerId = `export-owner-${contacts}`;
    const runtime = createRuntime(loadConfig());
    await noteSignedInUser(runtime, { id: ownerId });
    const ids = await createThroughBatch(env.api, 'contacts', Array.from({ length: contacts }, (_, n) => ({ ...contactInput(n, ownerId), ownerId })));
    const files = countingSink();
    const deps: ExportDependencies = { ...runtime, files, partBytes: PART_BYTES };
    const filters = { ownerId };

    // Run twice: with the heap measured (which also warms the code up), then timed on its own, as the collections would slow it.
    const runExport = async (): Promise<void> => {
      const job = await createExport(deps, { type: 'contacts', format: 'csv', filters }, admin);
      for (let done = false; !done; ) done = (await runExportStep(deps, job.id)).done;
      const exported = itemToJob(await deps.table.getItem(exportJobKey(job.id)))!;
      if (exported.rows !== contacts) throw new Error(`the export of ${ownerId} wrote ${exported.rows} of ${contacts} contacts`);
    };
    const peakHeapMiB = await peakLiveHeapDuring(runExport);
    const [bytesBefore, partsBefore] = [files.bytes, files.parts];
    takeMeteredCalls();
    const start = performance.now();
    await runExport();
    const exportMs = performance.now() - start;
    // By DynamoDB's documented rules: DynamoDB Local's own ConsumedCapacity is not what AWS bills.
    const readUnitsPer1000Rows = (documentedCapacity(takeMeteredCalls()).read / contacts) * 1000;
    const [bytes, parts] = [files.bytes - bytesBefore, files.parts - partsBefore];

    const rawStart = performance.now();
    let rawBytes = 0;
    for (let start = 0; start < ids.length; start += 100) {
      const keys = ids.slice(start, start + 100).map((id) => recordKeys.record('contact', id));
      let pending: Record<string, unknown>[] | undefined = keys.map((key) => ({ ...key }));
      while (pending && pending.length > 0) {
        const answer: BatchGetCommandOutput = await env.documentClient.send(new BatchGetCommand({ RequestItems: { [env.tableName]: { Keys: pending } } }));
        for (const item of answer.Responses?.[env.tableName] ?? []) rawBytes += JSON.stringify(item).length;
        pending = answer.UnprocessedKeys?.[env.tableName]?.Keys;
      }
    }
    const rawMs = performance.now() - rawStart;
    if (rawBytes === 0) throw new Error('the raw reads found nothing');
    const exportRowsPerSecond = contacts / (exportMs / 1000);
    const rawRowsPerSecond = contacts / (rawMs / 1000);
    results.push({ contacts, bytes, parts, readUnitsPer1000Rows, exportRowsPerSecond, rawRowsPerSecond, ratio: exportRowsPerSecond / rawRowsPerSecond, peakHeapMiB });
  }
  const first = results[0]!;
  const last = results.at(-1)!;
  return { sizes: results, heapRatio: last.peakHeapMiB / Math.max(first.peakHeapMiB, 0.001) };
}

export function exportsTable({ sizes, heapRatio }: ExportBench): string {
  const rows = sizes.map(
    (size) =>
      `| ${size.contacts} | ${(size.bytes / 2 ** 20).toFixed(2)} MiB, ${size.parts} part(s) | ${size.readUnitsPer1000Rows.toFixed(0)} | ${size.exportRowsPerSecond.toFixed(0)} | ${size.rawRowsPerSecond.toFixed(0)} | ${size.ratio.toFixed(2)}x | ${size.peakHeapMiB.toFixed(1)} MiB |`,
  );
  return [
    '',
    `## Exports (one owner's contacts to CSV; parts of ${PART_BYTES / 1024} KiB to a counting sink, not S3)`,
    '',
    '| contacts | file | RCU per 1,000 rows | export rows/s | raw BatchGetItem rows/s | ratio | peak live heap |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Peak live heap, largest export over smallest: ${heapRatio.toFixed(2)}x for ${(sizes.at(-1)!.contacts / sizes[0]!.contacts).toFixed(0)}x the rows; flat means it stays near one part and one page, below the file's size.`,
  ].join('\n');
}
