import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../adapters/config';
import { createRuntime } from '../adapters/runtime';
import { createExport, runExportStep, type ExportDependencies, type ExportFiles } from '../domain/exports/exports';
import { itemToJob } from '../domain/exports/export-job';
import { exportJobKey, recordKeys } from '../domain/shared/keys';
import type { BenchEnvironment } from './bench-environment';
import { contactInput } from './contact-items';
import { createThroughBatch } from './fixtures';

/**
 * Exports: rows per second of the export's own code (listing pages as the list route does,
 * writing CSV, one part per 8 MiB) against the least work that reads the same records (raw
 * BatchGetItem by id, JSON per row), in the same run; and the export's peak heap at two
 * sizes, which should not grow with the file. S3 is left out: parts go to a sink that counts
 * bytes and drops them, as an upload would send them and let them go.
 */

export interface ExportSize {
  readonly contacts: number;
  readonly bytes: number;
  readonly parts: number;
  readonly exportRowsPerSecond: number;
  readonly rawRowsPerSecond: number;
  /** exportRowsPerSecond / rawRowsPerSecond. */
  readonly ratio: number;
  /** Highest heap in use while exporting, above the heap before it (MiB). */
  readonly peakHeapMiB: number;
}

export interface ExportBench {
  readonly sizes: readonly ExportSize[];
  /** Peak heap of the largest export over the smallest's: about 1 when memory does not grow with the file. */
  readonly heapRatio: number;
}

const PART_BYTES = 8 * 1024 * 1024;
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

/** Runs `work` while sampling the heap every 5 ms; answers its peak above the heap at the start, in MiB. */
async function peakHeapDuring(work: () => Promise<void>): Promise<number> {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(0, peak - before) / 2 ** 20;
}

export async function measureExports(env: BenchEnvironment, { sizes }: { sizes: readonly number[] }): Promise<ExportBench> {
  const results: ExportSize[] = [];
  for (const contacts of sizes) {
    // An owner of their own: the owner's list is read from the records' own index keys, no stream consumer involved.
    const ownerId = `export-owner-${contacts}`;
    await env.api.call('PUT', `/v1/owners/${ownerId}`, { name: `Export owner ${contacts}` }, 200);
    const ids = await createThroughBatch(env.api, 'contacts', Array.from({ length: contacts }, (_, n) => ({ ...contactInput(n, ownerId), ownerId })));
    const files = countingSink();
    const deps: ExportDependencies = { ...createRuntime(loadConfig()), files, partBytes: PART_BYTES };
    const filters = { ownerId };

    const job = await createExport(deps, { type: 'contacts', format: 'csv', filters }, admin);
    let exportMs = 0;
    const peakHeapMiB = await peakHeapDuring(async () => {
      const start = performance.now();
      for (let done = false; !done; ) done = (await runExportStep(deps, job.id)).done;
      exportMs = performance.now() - start;
    });
    const exported = itemToJob(await deps.table.getItem(exportJobKey(job.id)))!;
    if (exported.rows !== contacts) throw new Error(`the export of ${ownerId} wrote ${exported.rows} of ${contacts} contacts`);

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
    results.push({ contacts, bytes: files.bytes, parts: files.parts, exportRowsPerSecond, rawRowsPerSecond, ratio: exportRowsPerSecond / rawRowsPerSecond, peakHeapMiB });
  }
  const first = results[0]!;
  const last = results.at(-1)!;
  return { sizes: results, heapRatio: last.peakHeapMiB / Math.max(first.peakHeapMiB, 0.001) };
}

export function exportsTable({ sizes, heapRatio }: ExportBench): string {
  const rows = sizes.map(
    (size) =>
      `| ${size.contacts} | ${(size.bytes / 2 ** 20).toFixed(2)} MiB, ${size.parts} part(s) | ${size.exportRowsPerSecond.toFixed(0)} | ${size.rawRowsPerSecond.toFixed(0)} | ${size.ratio.toFixed(2)}x | ${size.peakHeapMiB.toFixed(1)} MiB |`,
  );
  return [
    '',
    '## Exports (one owner\'s contacts to CSV; parts to a counting sink, not S3)',
    '',
    '| contacts | file | export rows/s | raw BatchGetItem rows/s | ratio | peak heap |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Peak heap, largest export over smallest: ${heapRatio.toFixed(2)}x for ${(sizes.at(-1)!.contacts / sizes[0]!.contacts).toFixed(0)}x the rows (flat means about 1, up to one part of 8 MiB).`,
  ].join('\n');
}
