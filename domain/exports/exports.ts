import { requireCapability } from '../access/permissions';
import { listRecords } from '../records/list-records';
import type { RecordDependencies } from '../records/record-dependencies';
import { modelOf } from '../records/record-models';
import type { Actor } from '../shared/actor';
import { ForbiddenError, ValidationError } from '../shared/errors';
import { jobStore } from '../shared/job-store';
import { exportJobKey } from '../shared/keys';
import { zodIssues } from '../shared/zod-issues';
import { EXPORT_FILE_RETENTION_HOURS, itemToJob, jobToItem, type ExportJob, type ExportRequest, type ExportView } from './export-job';
import { typeOfCollection } from '../records/record-model';
import { exportColumns, exportHeader, exportLines, type ExportFormat } from './export-rows';

/**
 * Exports of records to a file in the stage's export bucket, of any size: a job item, and a
 * run on Step Functions whose each step reads pages of the list (the same list, filters and
 * permissions as the list route), writes them as one part of a multipart upload, and saves
 * how far it got. Memory stays at about one part, whatever the number of records. A step
 * that fails and runs again starts from the saved cursor and writes the same part again,
 * which replaces it: the file has each record once.
 */

/** Where export files are written and read back; an adapter over S3 (or the local S3). */
export interface ExportFiles {
  startUpload(key: string, contentType: string): Promise<string>;
  uploadPart(key: string, uploadId: string, partNumber: number, body: string): Promise<string>;
  completeUpload(key: string, uploadId: string, parts: ExportJob['parts']): Promise<void>;
  abortUpload(key: string, uploadId: string): Promise<void>;
  /** A presigned GET, downloading as `fileName`. */
  downloadUrl(key: string, fileName: string, expiresInSeconds: number): Promise<string>;
}

/** Starts the run of an export on its state machine; a second start of the same run is a no-op. */
export interface ExportRunStarter {
  start(run: { readonly runId: string; readonly waitSeconds: number }): Promise<void>;
}

export interface ExportDependencies extends RecordDependencies {
  readonly files: ExportFiles;
  /** A part is uploaded once this much is written (S3 takes parts of 5 MiB and more, but the last). */
  readonly partBytes: number;
}

const PAGE_SIZE = 100;
const DOWNLOAD_URL_SECONDS = 15 * 60;
/** S3's limit is 10,000 parts; the job item lists them, and 2,000 of ~50 bytes keep it far under DynamoDB's 400 KB. */
const MAX_PARTS = 2_000;
const contentTypes: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson; charset=utf-8' };

/**
 * The orders an export reads a list in, best first, when the request names none: by last
 * update, oldest first, which the records' own index keys serve (a list by creation time is
 * kept by a stream consumer, and after a bulk import it can be minutes behind: an export
 * read from it left records out); a record changed while the export runs moves ahead of the
 * cursor and is written (again, if it was already: its later row is its newer state) instead
 * of being skipped. Else by creation time, else the list's own order (a company's contacts:
 * by id, which does not move).
 */
const exportOrders: readonly Readonly<Record<string, string>>[] = [{ sort: 'updatedAt', order: 'asc' }, { sort: 'createdAt', order: 'asc' }, {}];

/** The list's filters as the list route would take them, checked the way it checks them. */
function listFiltersOf(filters: Readonly<Record<string, string>>, type: ExportJob['type']): Record<string, unknown> {
  for (const reserved of ['limit', 'cursor'] as const) {
    if (reserved in filters) throw new ValidationError(`${reserved} is the export's own business: send filters only.`, [{ field: `body.filters.${reserved}`, message: 'not allowed' }]);
  }
  const parsed = modelOf(type).listQuerySchema.safeParse(filters);
  if (!parsed.success) throw zodIssues(parsed.error, 'body.filters');
  return parsed.data;
}

const jobs = jobStore<ExportJob>('export', exportJobKey, jobToItem, itemToJob);
const readJob = jobs.read;
const saveJob = jobs.save;

/** Checks the export's list the way the list route would (a 400 now rather than a failed run), then records the job. */
export async function createExport(deps: ExportDependencies, request: ExportRequest, actor: Actor): Promise<ExportJob> {
  const type = typeOfCollection(request.type);
  const model = modelOf(type);
  requireCapability(actor, 'readRecords', `export ${model.collection}`);
  // Checked by reading one record as the list route would: a 400 now rather than a failed run.
  const orders = request.filters.sort !== undefined || request.filters.q !== undefined ? [{}] : exportOrders;
  let filters: Record<string, string> | undefined;
  for (const [index, order] of orders.entries()) {
    const candidate = { ...request.filters, ...order };
    try {
      await listRecords(deps, model, { ...listFiltersOf(candidate, type), limit: 1 }, actor);
      filters = candidate;
      break;
    } catch (error) {
      // This list has no such order: try the next.
      if (!(error instanceof ValidationError) || index === orders.length - 1) throw error;
    }
  }
  const id = deps.ids.next();
  const now = deps.clock.now().toISOString();
  const job: ExportJob = {
    id,
    type,
    format: request.format,
    filters: filters!,
    columns: exportColumns(model, await deps.propertyDefinitions(type)),
    status: 'running',
    rows: 0,
    cursor: null,
    uploadId: null,
    parts: [],
    objectKey: `exports/${id}.${request.format}`,
    createdBy: actor,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    error: null,
    version: 1,
  };
  return jobs.create(deps, job);
}

/**
 * One step of an export's run: pages of the list until a part's worth is written (or the list
 * ends), that part uploaded, the job saved. Answers whether the export is done.
 */
export async function runExportStep(deps: ExportDependencies, id: string): Promise<{ readonly done: boolean }> {
  let job = await readJob(deps, id);
  if (job.status !== 'running') return { done: true };
  const model = modelOf(job.type);
  if (!job.uploadId) job = await saveJob(deps, job, { uploadId: await deps.files.startUpload(job.objectKey, contentTypes[job.format]) });

  const partNumber = job.parts.length + 1;
  let body = partNumber === 1 ? exportHeader(job.format, job.columns) : '';
  // Counted page by page: measuring the whole part after each page would read it again every time.
  let bytes = Buffer.byteLength(body);
  let cursor = job.cursor;
  let rows = 0;
  const filters = listFiltersOf(job.filters, job.type);
  do {
    // As the export's author: what they may list is what the file holds.
    const page = await listRecords(deps, model, { ...filters, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }, job.createdBy);
    const lines = exportLines(job.format, job.columns, page.items);
    body += lines;
    bytes += Buffer.byteLength(lines);
    rows += page.items.length;
    cursor = page.nextCursor;
  } while (cursor && bytes < deps.partBytes);

  if (cursor && partNumber >= MAX_PARTS) throw new Error(`export ${id} would take more than ${MAX_PARTS} parts of ${deps.partBytes} bytes`);
  const etag = await deps.files.uploadPart(job.objectKey, job.uploadId!, partNumber, body);
  const parts = [...job.parts, { partNumber, etag }];
  if (cursor) {
    await saveJob(deps, job, { parts, cursor, rows: job.rows + rows });
    return { done: false };
  }
  await deps.files.completeUpload(job.objectKey, job.uploadId!, parts);
  await saveJob(deps, job, { parts, cursor: null, rows: job.rows + rows, status: 'done', finishedAt: deps.clock.now().toISOString() });
  return { done: true };
}

/** The run gave up (a step kept failing): the job says so, and the unfinished upload is dropped. */
export async function recordExportFailure(deps: ExportDependencies, id: string, error: string): Promise<void> {
  const job = await readJob(deps, id);
  if (job.status !== 'running') return;
  if (job.uploadId) await deps.files.abortUpload(job.objectKey, job.uploadId);
  await saveJob(deps, job, { status: 'failed', error, finishedAt: deps.clock.now().toISOString() });
}

/** The job as its author (or an admin) sees it, with a fresh download URL while the file is kept. */
export async function getExport(deps: ExportDependencies, id: string, actor: Actor): Promise<ExportView> {
  requireCapability(actor, 'readRecords', 'read exports');
  const job = await readJob(deps, id);
  if (job.createdBy.id !== actor.id && actor.role !== 'admin') throw new ForbiddenError("Only an export's author, or an admin, may read it.", 'the export’s author or role admin');
  return viewOf(deps, job);
}

export async function viewOf(deps: ExportDependencies, job: ExportJob): Promise<ExportView> {
  const now = deps.clock.now();
  const fileKeptUntil = job.finishedAt ? Date.parse(job.finishedAt) + EXPORT_FILE_RETENTION_HOURS * 3_600_000 : 0;
  const downloadable = job.status === 'done' && now.getTime() < fileKeptUntil;
  const fileName = `${modelOf(job.type).collection}-${job.id}.${job.format}`;
  return {
    id: job.id,
    type: modelOf(job.type).collection,
    format: job.format,
    filters: job.filters,
    status: job.status,
    rows: job.rows,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
    error: job.error,
    downloadUrl: downloadable ? await deps.files.downloadUrl(job.objectKey, fileName, DOWNLOAD_URL_SECONDS) : null,
    downloadExpiresAt: downloadable ? new Date(Math.min(now.getTime() + DOWNLOAD_URL_SECONDS * 1000, fileKeptUntil)).toISOString() : null,
  };
}
