import { createHash } from 'node:crypto';
import { requireCapability } from '../access/permissions';
import type { ExportFiles } from '../exports/exports';
import type { PropertyDefinition } from '../properties/property-definition';
import { batchWriteRecords, upsertKeyOf } from '../records/batch-write-records';
import { planCreate } from '../records/create-record';
import { planUpdate } from '../records/update-record';
import { findByUniqueValue } from '../records/get-record';
import { readingOnce, type RecordDependencies } from '../records/record-dependencies';
import type { CrmRecord, RecordModel, RecordType } from '../records/record-model';
import { modelOf } from '../records/record-models';
import type { Actor } from '../shared/actor';
import { csvRows } from '../shared/csv';
import { withDerivedIds } from '../shared/dependencies';
import { BatchItemFailedError, ConflictError, ContentionError, CrmError, ForbiddenError, ServiceUnavailableError, UniqueValueTakenError, ValidationError } from '../shared/errors';
import { jobStore } from '../shared/job-store';
import { importFailureKey, importJobKey, importQueries, importRangeKey, importsByAuthor } from '../shared/keys';
import type { Page, PageRequest } from '../shared/page';
import { forEachQueryPage, pageOf, queryList } from '../shared/pagination';
import { storedValue } from '../shared/stored-item';
import type { Item, PageKey } from '../shared/table-port';
import { zodIssues } from '../shared/zod-issues';
import { typeOfCollection } from '../records/record-model';
import { importExpiresAt, itemToJob, jobToItem, noCounts, type CsvDelimiter, type FilePosition, type ImportCounts, type ImportJob, type ImportRequest, type ImportView } from './import-job';
import { checkMapping, fieldFedBy, guessMapping, importTargets, rowInput, withRelatedRecords } from './import-rows';

/**
 * Imports of CSV files of any size. The API creates a job and hands out a presigned URL to
 * upload the file to; once it is there, the import starts: the header is read, the mapping
 * (sent, or guessed) checked against it, and a run on Step Functions imports it in three
 * phases. First a step reads the file once, writing nothing, for where its ranges start
 * (every `rowsPerStep` rows, at a record's first byte: a quoted cell can hold line breaks).
 * Then the state machine's Map state writes the ranges, `concurrentRanges` at once, each in
 * steps that read on from where the last stopped (a byte offset), a few batches of 100 rows
 * in flight, each batch written by the same code as the batch route (validation,
 * uniqueness, upsert on the unique field, history, audit, record events), with the import as
 * the actor. A step that fails runs again from its range's saved offset: the rows it had
 * written find their records (upserted by their unique value, or created under ids derived
 * from the import and line) instead of writing them twice. Failed rows are kept by line;
 * once every range is written they are written to a CSV error report.
 */

/** The import's file, read where it is kept; an adapter over S3 (or the local S3). */
export interface ImportFiles extends ExportFiles {
  /** A presigned PUT for the file. */
  uploadUrl(key: string, expiresInSeconds: number): Promise<string>;
  /** The file's first record, the delimiter (given, or detected from the header line), and where the data starts; undefined while there is no file. */
  readHeader(key: string, delimiter: CsvDelimiter | null): Promise<FileHeader | undefined>;
  /** The records from `from` on (to the byte offset `to`, a record's start, or the end), each with the line it starts on and the position just past it; stops when the caller does. */
  readRecords(key: string, from: FilePosition, delimiter: CsvDelimiter, to?: number): AsyncIterable<CsvRecord>;
}

export interface FileHeader {
  readonly headers: readonly string[];
  readonly delimiter: CsvDelimiter;
  readonly dataStart: FilePosition;
}

export interface CsvRecord {
  readonly values: readonly string[];
  readonly line: number;
  readonly next: FilePosition;
}

/** The file cannot be read on from `line` (a quote never closed, say): nothing after it can be trusted to be a row. */
export class UnreadableFileError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

export interface ImportDependencies extends RecordDependencies {
  readonly files: ImportFiles;
  /** The error report's parts are uploaded once this much is written (S3's minimum is 5 MiB, but the last). */
  readonly partBytes: number;
  /** Rows a step reads at most before it saves where it got (what a retried step does again). */
  readonly rowsPerStep: number;
  /** Batches of 100 rows written at once by a step: with the batch's own 8 transactions each, what bounds the load on the table. */
  readonly parallelBatches: number;
  /** Ranges of the file written at once, each by its own step: with `parallelBatches`, what bounds the import's load on the table. */
  readonly concurrentRanges: number;
}

export interface ImportRunStarter {
  start(run: { readonly runId: string; readonly waitSeconds: number }): Promise<void>;
}

const BATCH_ROWS = 100;
/** A step looks for a cancel this often, in rows read. */
const CANCEL_CHECK_ROWS = 1_000;
/**
 * A range step saves its position and counts at least this often, not only at its end: a
 * range of 20,000 rows takes a minute or more, and meanwhile `rows` would not move, and a
 * failed step's retry would read it all again.
 */
const PROGRESS_SAVE_MS = 10_000;
/** At most this many ranges: the Map state's items and the execution's history stay small (Step Functions keeps 25,000 events an execution). */
const MAX_RANGES = 500;
/** The split looks at its time this often, in rows. */
const SPLIT_CHECK_ROWS = 10_000;
const UPLOAD_URL_SECONDS = 3_600;
const DOWNLOAD_URL_SECONDS = 15 * 60;
const FILE_RETENTION_MS = 24 * 3_600_000;
/** A failed row keeps at most this much of what it held, for the report. */
const MAX_KEPT_ROW_CHARS = 4_000;
const MAX_REPORT_PARTS = 2_000;

const jobs = jobStore<ImportJob>('import', importJobKey, jobToItem, itemToJob);
const readJob = jobs.read;
const saveJob = jobs.save;

function requireAuthorOrAdmin(job: ImportJob, actor: Actor): void {
  if (job.createdBy.id !== actor.id && actor.role !== 'admin') throw new ForbiddenError("Only an import's author, or an admin, may see or act on it.", 'the import’s author or role admin');
}

/** Who the import's writes are made by, in timelines, the audit log and record events: the import, for the person who started it. */
const importActor = (job: ImportJob): Actor => ({ type: 'import', id: job.id, role: job.createdBy.role, onBehalfOf: job.createdBy.id });

/** Records an import; the answer carries the URL to upload the file to. */
export async function createImport(deps: ImportDependencies, request: ImportRequest, actor: Actor): Promise<ImportJob> {
  const type = typeOfCollection(request.type);
  // An import assigns records to anyone and updates records whoever owns them: a manager's work.
  requireCapability(actor, 'changeAnyRecord', `import ${request.type}`);
  if (request.upsertOn) upsertKeyOf(modelOf(type), request.upsertOn);
  if (request.mapping) {
    const targets = importTargets(modelOf(type), await deps.propertyDefinitions(type));
    checkMapping(type, request.mapping, undefined, targets);
  }
  const id = deps.ids.next();
  const now = deps.clock.now().toISOString();
  const job: ImportJob = {
    id,
    type,
    dryRun: request.dryRun,
    mapping: request.mapping ?? null,
    upsertOn: request.upsertOn ?? null,
    delimiter: request.delimiter ?? null,
    headers: null,
    status: 'awaiting-upload',
    phase: 'split',
    position: null,
    ranges: [],
    rowsPerRange: deps.rowsPerStep,
    rowsInFile: 0,
    unreadable: null,
    counts: noCounts,
    objectKey: `imports/${id}.csv`,
    reportKey: `imports/${id}-failed-rows.csv`,
    report: { uploadId: null, parts: [], range: 0, startKey: null, written: false },
    createdBy: actor,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    error: null,
    version: 1,
  };
  return jobs.create(deps, job);
}

/**
 * Once the file is uploaded: its header read, the mapping (sent, or guessed now) checked
 * against it, the job running. The caller starts the run. Starting a running import again
 * answers it as it is.
 */
export async function startImport(deps: ImportDependencies, id: string, actor: Actor): Promise<ImportJob> {
  const job = await readJob(deps, id);
  requireAuthorOrAdmin(job, actor);
  if (job.status === 'running') return job;
  if (job.status !== 'awaiting-upload') throw new ConflictError(`Import ${id} is ${job.status}; create a new import to run the file again.`);
  const header = await deps.files.readHeader(job.objectKey, job.delimiter).catch((error: unknown) => {
    if (error instanceof UnreadableFileError) throw new ValidationError(`The file's header line cannot be read: ${error.message}.`, [{ field: 'file', message: error.message }]);
    throw error;
  });
  if (!header) throw new ConflictError(`Import ${id} has no file yet: PUT it to the import's uploadUrl first.`);
  const headers = header.headers.map((name) => name.trim());
  if (headers.length === 0 || headers.every((name) => name === '')) throw new ValidationError('The file has no header line: its first line must name the columns.', [{ field: 'file', message: 'no header' }]);
  const model = modelOf(job.type);
  const definitions = await deps.propertyDefinitions(job.type);
  const targets = importTargets(model, definitions);
  const mapping = completedMapping(job.type, job.mapping ?? {}, headers, targets, definitions);
  checkMapping(job.type, mapping, headers, targets);
  if (job.upsertOn && !Object.values(mapping).includes(job.upsertOn)) {
    throw new ValidationError(`The import matches rows on ${job.upsertOn}, and no column maps to it: every row would create a record.`, [{ field: 'mapping', message: `map a column to ${job.upsertOn}` }]);
  }
  if (Object.values(mapping).every((target) => target === null)) {
    throw new ValidationError(`No column of the file maps to a field of ${model.collection}: send a mapping.`, [{ field: 'mapping', message: `columns: ${headers.join(', ')}; fields: ${targets.join(', ')}` }]);
  }
  const now = deps.clock.now().toISOString();
  try {
    return await saveJob(deps, job, { status: 'running', startedAt: now, headers, delimiter: header.delimiter, mapping, phase: 'split', position: header.dataStart, ranges: [header.dataStart], rowsPerRange: deps.rowsPerStep, rowsInFile: 0, unreadable: null, upsertOn: job.upsertOn ?? null, report: { ...job.report, range: 0 } });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Started by a request beside this one: the same import, running.
    const current = await readJob(deps, id);
    if (current.status === 'running') return current;
    throw error;
  }
}

/**
 * The mapping sent, with the columns it does not name guessed (among the fields it leaves
 * free): a mapping that names only the column the guess would miss still imports the rest.
 * A column it names null stays skipped. In the file's column order.
 */
function completedMapping(type: RecordType, sent: Readonly<Record<string, string | null>>, headers: readonly string[], targets: readonly string[], definitions: readonly PropertyDefinition[]): Record<string, string | null> {
  // By the field a target fills: a sent `companyDomain` leaves no guess to a `companyIds` column.
  const taken = new Set(Object.values(sent).flatMap((target) => (target === null ? [] : [fieldFedBy(type, target)])));
  const guessed = guessMapping(
    type,
    headers.filter((header) => !Object.hasOwn(sent, header)),
    targets.filter((target) => !taken.has(fieldFedBy(type, target))),
    definitions,
  );
  // A column with no header (a spreadsheet's trailing commas) has nothing to map it by: never read.
  const named = headers.filter((header) => header !== '');
  return { ...Object.fromEntries(named.map((header) => [header, Object.hasOwn(sent, header) ? sent[header]! : (guessed[header] ?? null)])), ...sent };
}

/** Stops an import that has not finished: the run stops at its next step; rows written so far stay written, and those that failed get their error report. */
export async function cancelImport(deps: ImportDependencies, id: string, actor: Actor): Promise<ImportJob> {
  const job = await readJob(deps, id);
  requireAuthorOrAdmin(job, actor);
  if (job.status === 'cancelled') return job;
  if (job.status !== 'awaiting-upload' && job.status !== 'running') throw new ConflictError(`Import ${id} is ${job.status} already.`);
  // A report being written starts again after the cancel, from its first failed row (a step writing it meanwhile fails on the aborted upload or the job's version, and its retry starts over).
  const report = job.report.uploadId ? { ...job.report, uploadId: null, parts: [], range: 0, startKey: null } : job.report;
  // Saved first: a cancel that loses to a step's save (a 409) must not have aborted the upload that step goes on with.
  const cancelled = await saveJob(deps, job, { status: 'cancelled', finishedAt: deps.clock.now().toISOString(), report });
  if (job.report.uploadId) await deps.files.abortUpload(job.reportKey, job.report.uploadId);
  return cancelled;
}

interface StepResult {
  readonly counts: ImportCounts;
  readonly failures: readonly { readonly line: number; readonly reason: string; readonly values: readonly string[] }[];
}

const addCounts = (a: ImportCounts, b: ImportCounts): ImportCounts => ({
  rows: a.rows + b.rows,
  created: a.created + b.created,
  updated: a.updated + b.updated,
  unchanged: a.unchanged + b.unchanged,
  failed: a.failed + b.failed,
});

/**
 * What a step of an import's run answers its state machine: whether the import is done, or
 * (once the file is split) the ranges left to write and how many to write at once, which the
 * state machine's Map state hands to range steps before it calls the next step.
 */
export interface ImportStepResult {
  readonly done: boolean;
  readonly ranges?: readonly number[];
  readonly concurrency?: number;
}

/**
 * One step of an import's run, by its phase: split the file (read it once, without writing,
 * for where each range of `rowsPerStep` rows starts); once split, the ranges left to write,
 * or, with every range written, the counts summed and the import finished or its error report
 * started; then a part of the error report per step.
 */
export async function runImportStep(deps: ImportDependencies, id: string, hasTimeLeft: () => boolean): Promise<ImportStepResult> {
  const job = await readJob(deps, id);
  if (job.status === 'cancelled' && Array.isArray(job.ranges) && job.phase !== 'split' && !job.report.written) return reportAfterCancel(deps, job);
  if (job.status !== 'running') return { done: true };
  if (!Array.isArray(job.ranges)) {
    // Started by a version that read the file in one loop: its run, on that version's state machine, cannot go on here.
    const error = 'This import was running when the CRM was upgraded, and stopped. Import the file again: rows it wrote come out unchanged.';
    await savedUnlessStopped(deps, job, { status: 'failed', error, finishedAt: deps.clock.now().toISOString() });
    return { done: true };
  }
  if (job.phase === 'split') return splitFile(deps, job, hasTimeLeft);
  if (job.phase === 'rows') return finishRanges(deps, job);
  return writeReportPart(deps, job);
}

/**
 * Cancelled while its ranges were written: they have stopped (the Map state waits for every
 * range step, each of which stops at its next look for a cancel), so their counts are summed,
 * and the rows that failed until then still get their error report. The job stays cancelled.
 */
async function reportAfterCancel(deps: ImportDependencies, job: ImportJob): Promise<ImportStepResult> {
  if (job.phase === 'rows') {
    const ranges = await readRanges(deps, job);
    // The report lists the failed rows the counts count: none a failed step left past its range's saved line.
    for (const range of ranges) await dropStaleFailures(deps, job, range);
    const counts = countsWith(job, ranges);
    // A conflict (a second cancel, say) fails the step, and its retry sums again.
    await saveJob(deps, job, { counts, phase: 'report' });
    return { done: counts.failed === 0 };
  }
  return job.counts.failed === 0 ? { done: true } : writeReportPart(deps, job);
}

/**
 * Reads the file without writing, and notes where every `rowsPerRange`-th record starts: the
 * only safe places to cut a CSV (a quoted cell can hold line breaks, so a byte offset picked
 * blindly can fall inside a record). A file that would need more than MAX_RANGES ranges has
 * its range size doubled, keeping every other boundary. A step short of time saves where it
 * got; the next reads on.
 */
async function splitFile(deps: ImportDependencies, job: ImportJob, hasTimeLeft: () => boolean): Promise<ImportStepResult> {
  let { position, ranges, rowsPerRange, rowsInFile: rows } = job;
  let ended = true;
  let unreadable: string | null = null;
  try {
    for await (const record of deps.files.readRecords(job.objectKey, position!, job.delimiter!)) {
      if (rows > 0 && rows % rowsPerRange === 0) {
        ranges = [...ranges, position!];
        if (ranges.length > MAX_RANGES) {
          ranges = ranges.filter((_, index) => index % 2 === 0);
          rowsPerRange *= 2;
        }
      }
      rows++;
      position = record.next;
      if (rows % SPLIT_CHECK_ROWS === 0) {
        // Cancelled meanwhile: nothing written yet, nothing to save.
        if (rows % (SPLIT_CHECK_ROWS * 10) === 0 && (await readJob(deps, job.id)).status !== 'running') return { done: true };
        if (!hasTimeLeft()) {
          ended = false;
          break;
        }
      }
    }
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    unreadable = error.message;
  }
  const saved = await savedUnlessStopped(deps, job, ended ? { phase: 'rows', position: null, ranges, rowsPerRange, rowsInFile: rows, unreadable } : { position, ranges, rowsPerRange, rowsInFile: rows });
  if (!saved) return { done: true };
  return ended ? { done: false, ranges: ranges.map((_, index) => index), concurrency: deps.concurrentRanges } : { done: false };
}

/** One range's progress: kept apart from the job, so ranges written at once never conflict. */
interface ImportRange {
  readonly index: number;
  /** Where reading the range goes on. */
  readonly position: FilePosition;
  readonly counts: ImportCounts;
  readonly done: boolean;
  /** 0 until first saved. */
  readonly version: number;
}

const rangeFromItem = (job: ImportJob, index: number, item: Item | undefined): ImportRange =>
  item ? storedValue<ImportRange>(item) : { index, position: job.ranges[index]!, counts: noCounts, done: false, version: 0 };

/** The range saved with `changes`, as it is now. */
async function saveRange(deps: ImportDependencies, job: ImportJob, range: ImportRange, changes: Pick<ImportRange, 'position' | 'counts' | 'done'>): Promise<ImportRange> {
  const saved: ImportRange = { ...range, ...changes, version: range.version + 1 };
  const item = { ...importRangeKey(job.id, range.index), entity: 'importRange', ...saved, expiresAt: importExpiresAt(job) };
  const condition = range.version === 0 ? ({ kind: 'absent' } as const) : ({ kind: 'liveAtVersion', version: range.version } as const);
  await deps.table.transactWrite([{ op: 'put', item, condition, onConditionFailed: () => new ConflictError(`Range ${range.index} of import ${job.id} changed meanwhile.`) }]);
  return saved;
}

/** Every range of the job, as saved or (not started yet) at its start. */
async function readRanges(deps: ImportDependencies, job: ImportJob): Promise<ImportRange[]> {
  const saved = new Map<number, Item>();
  await forEachQueryPage(deps.table, importQueries.ranges(job.id), MAX_RANGES, (items) => items.forEach((item) => saved.set(item.index as number, item)));
  return job.ranges.map((_, index) => rangeFromItem(job, index, saved.get(index)));
}

/** The job's counts with its ranges' added. */
const countsWith = (job: ImportJob, ranges: readonly ImportRange[]): ImportCounts => ranges.reduce((sum, range) => addCounts(sum, range.counts), job.counts);

/** After the Map state: ranges not written yet (a step retried, a range step that gave up its time) go back to it; with all written, the counts summed. */
async function finishRanges(deps: ImportDependencies, job: ImportJob): Promise<ImportStepResult> {
  const ranges = await readRanges(deps, job);
  const left = ranges.filter((range) => !range.done).map((range) => range.index);
  if (left.length > 0) return { done: false, ranges: left, concurrency: deps.concurrentRanges };
  const counts = countsWith(job, ranges);
  const saved = await savedUnlessStopped(deps, job, { counts, ...finishedRows(deps, counts, job.unreadable) });
  if (saved) return { done: saved.status !== 'running' };
  // Cancelled while this step summed: the cancel's report is this step's to start.
  const current = await readJob(deps, job.id);
  return current.status === 'cancelled' ? reportAfterCancel(deps, current) : { done: true };
}

/** A step that wrote failed rows and then failed before saving left them past the range's saved line: they are read again, or (after a cancel) never. */
const dropStaleFailures = (deps: ImportDependencies, job: ImportJob, range: ImportRange) =>
  forEachQueryPage(deps.table, importQueries.failures(job.id, range.index, range.position.line + 1), 1_000, (stale) => deps.table.deleteItems(stale.map((item) => ({ pk: item.pk, sk: item.sk }))));

/**
 * One step of one range: its rows from where it stopped, a few batches in flight, until the
 * range ends, the step's rows are read or its time is short; then the range's position and
 * counts saved. Answers whether the range is done (or the import stopped).
 */
export async function runImportRangeStep(deps: ImportDependencies, id: string, index: number, hasTimeLeft: () => boolean): Promise<{ readonly done: boolean }> {
  const job = await readJob(deps, id);
  if (job.status !== 'running' || job.phase !== 'rows') return { done: true };
  if (!Number.isInteger(index) || index < 0 || index >= job.ranges.length) throw new Error(`import ${id} has no range ${index} (it has ${job.ranges.length})`);
  const range = rangeFromItem(job, index, await deps.table.getItem(importRangeKey(id, index)));
  if (range.done) return { done: true };
  await dropStaleFailures(deps, job, range);
  let saved = range;
  const save = async (progress: RowsProgress, done: boolean) => {
    if (progress.failures.length > 0) {
      await deps.table.putItems(progress.failures.map((failure) => ({ ...importFailureKey(job.id, index, failure.line), entity: 'importFailure', ...failure, expiresAt: importExpiresAt(job) })));
    }
    // A conflict is this range saved by a step beside this one: the step fails, and its retry reads on from what that one saved.
    saved = await saveRange(deps, job, saved, { position: progress.position, counts: addCounts(saved.counts, progress.counts), done });
  };
  const read = await importRows(deps, job, range.position, job.ranges[index + 1], hasTimeLeft, (progress) => save(progress, false));
  await save(read, read.ended);
  return { done: read.ended };
}

/** Rows written since the last save, and where reading goes on: every row before `position` is written or failed. */
type RowsProgress = StepResult & { readonly position: FilePosition };

/**
 * Rows from `from` up to `end` (the next range's start; none: the file's end), written a few
 * batches at once; every PROGRESS_SAVE_MS, once the batches in flight settle, what they did
 * goes to `saveProgress` (and is not answered again).
 */
async function importRows(
  deps: ImportDependencies,
  job: ImportJob,
  from: FilePosition,
  end: FilePosition | undefined,
  hasTimeLeft: () => boolean,
  saveProgress: (progress: RowsProgress) => Promise<void>,
): Promise<RowsProgress & { readonly ended: boolean }> {
  const shared = readingOnce(deps);
  const model = modelOf(job.type);
  const definitions = new Map((await shared.propertyDefinitions(job.type)).map((definition) => [definition.name, definition]));
  const columns = Object.entries(job.mapping!).flatMap(([header, target]) => (target === null ? [] : [{ index: job.headers!.indexOf(header), target, header }]));
  // Each related record is looked up once per step, by its type's unique value (domain, email, external id).
  const found = new Map<string, Promise<CrmRecord | undefined>>();
  const findRelated = (target: RecordType, key: string) => {
    const cacheKey = `${target} ${key}`;
    if (!found.has(cacheKey)) found.set(cacheKey, findByUniqueValue(deps, modelOf(target), key));
    return found.get(cacheKey)!;
  };

  let counts = noCounts;
  let failures: StepResult['failures'][number][] = [];
  const inFlight = new Set<Promise<void>>();
  // Kept as it happens: a batch leaves `inFlight` once it settles, and one that fails while the step awaits something else (a read, the cancel check) would go unseen.
  let batchFailed: { readonly error: unknown } | undefined;
  /** Every batch in flight settled; the first error of any batch, if one failed. */
  const settled = async () => {
    await Promise.allSettled(inFlight);
    return batchFailed;
  };
  let lastSave = deps.clock.now().getTime();
  const write = (batch: readonly CsvRecord[]) => {
    const running = writeBatch(shared, job, model, batch, columns, definitions, findRelated).then((result) => {
      counts = addCounts(counts, result.counts);
      failures.push(...result.failures);
    });
    inFlight.add(running);
    void running.catch((error: unknown) => void (batchFailed ??= { error })).finally(() => inFlight.delete(running));
  };

  let position = from;
  let batch: CsvRecord[] = [];
  let rowsRead = 0;
  let ended = true;
  let readFailed: { readonly error: unknown } | undefined;
  try {
    for await (const record of deps.files.readRecords(job.objectKey, position, job.delimiter!, end?.offset)) {
      batch.push(record);
      position = record.next;
      rowsRead++;
      if (batch.length < BATCH_ROWS) continue;
      write(batch);
      batch = [];
      while (inFlight.size >= deps.parallelBatches) await Promise.race(inFlight);
      if (batchFailed) throw batchFailed.error;
      if (deps.clock.now().getTime() - lastSave >= PROGRESS_SAVE_MS) {
        const failed = await settled();
        if (failed) throw failed.error;
        await saveProgress({ counts, failures, position });
        counts = noCounts;
        failures = [];
        lastSave = deps.clock.now().getTime();
      }
      // Cancelled meanwhile: stop here rather than at the end of the step.
      const cancelled = rowsRead % CANCEL_CHECK_ROWS === 0 && (await readJob(deps, job.id)).status !== 'running';
      const rangeLeft = !end || position.offset < end.offset;
      // A range of doubled size is still read in one step if time allows: steps, not ranges, fill the execution's history.
      if (rangeLeft && (cancelled || rowsRead >= job.rowsPerRange || !hasTimeLeft())) {
        ended = false;
        break;
      }
    }
  } catch (error) {
    // Where the split found the file unreadable, the last range ends (the job says why); anything else fails the step.
    if (!(error instanceof UnreadableFileError)) readFailed = { error };
  }
  if (batch.length > 0 && !readFailed) write(batch);
  // A failed read, or a batch that failed as a whole, fails the step, which runs again from
  // the saved position: only once every batch has settled, so that none writes behind the retry.
  const rejected = await settled();
  if (readFailed) throw readFailed.error;
  if (rejected) throw rejected.error;
  return { counts, failures, position, ended };
}

/** The job saved with `changes`, or undefined when it was cancelled (or given up) meanwhile: what was written stays written. */
async function savedUnlessStopped(deps: ImportDependencies, job: ImportJob, changes: Partial<ImportJob>): Promise<ImportJob | undefined> {
  try {
    return await saveJob(deps, job, changes);
  } catch (error) {
    if (!(error instanceof ConflictError) || (await readJob(deps, job.id)).status === 'running') throw error;
    return undefined;
  }
}

/** The file is read: with failed rows, the report is written next; else the import is over. */
function finishedRows(deps: ImportDependencies, counts: ImportCounts, unreadable: string | null): Partial<ImportJob> {
  const error = unreadable ? `The file could not be read on from ${unreadable}; the rows before it were imported.` : null;
  // Out of `rows` either way: the counts are the job's now, no longer summed from its ranges.
  if (counts.failed > 0) return { phase: 'report', error };
  return { phase: 'report', status: unreadable ? 'failed' : 'done', error, finishedAt: deps.clock.now().toISOString() };
}

type Failure = StepResult['failures'][number];

/** Derived from the import and the row's line: a retried step creates a row's record under the same id, and finds it. */
const rowIds = (deps: RecordDependencies, importId: string, line: number): RecordDependencies =>
  withDerivedIds(deps, (n) => createHash('sha256').update(`${importId}:${line}:${n}`).digest('base64url').slice(0, 26));

async function writeBatch(
  deps: RecordDependencies,
  job: ImportJob,
  model: RecordModel,
  records: readonly CsvRecord[],
  columns: readonly { readonly index: number; readonly target: string; readonly header: string }[],
  definitions: ReadonlyMap<string, PropertyDefinition>,
  findRelated: (target: RecordType, key: string) => Promise<CrmRecord | undefined>,
): Promise<StepResult> {
  const failures: Failure[] = [];
  const fail = (record: CsvRecord, reason: string) => failures.push({ line: record.line, reason, values: keptValues(record.values) });
  const rows: { record: CsvRecord; input: Record<string, unknown> }[] = [];
  for (const record of records) {
    const row = await withRelatedRecords(model.type, rowInput(record.values, columns, definitions), findRelated);
    if ('reason' in row) fail(record, row.reason);
    else rows.push({ record, input: row.input });
  }
  const header = (field: string) => columns.find((column) => fieldFedBy(model.type, column.target) === field)?.header;
  const reasonOf = (error: CrmError) => reasonFor(error, header);
  let counts: ImportCounts = { ...noCounts, rows: records.length };

  if (job.dryRun) {
    for (const { record, input } of rows) {
      const outcome = await wouldWrite(deps, model, input, job.upsertOn ?? undefined, importActor(job)).catch((error: unknown) => (error instanceof CrmError ? error : Promise.reject(error)));
      if (outcome instanceof CrmError) fail(record, reasonOf(outcome));
      else counts = { ...counts, [outcome]: counts[outcome] + 1 };
    }
  } else {
    const results = await batchWriteRecords(
      deps,
      model,
      rows.map((row) => row.input),
      importActor(job),
      { depsFor: (index) => rowIds(deps, job.id, rows[index]!.record.line), ...(job.upsertOn ? { upsertOn: job.upsertOn } : {}) },
    );
    // A row the table could not take for now (throttled, contended, an error on our side) is no bad row: the step fails, and its retry reads on from the saved position.
    const notYet = results.find((result) => result.outcome === 'failed' && isWorthRetrying(result.error));
    if (notYet?.outcome === 'failed') throw notYet.error;
    for (const result of results) {
      if (result.outcome === 'failed') fail(rows[result.index]!.record, reasonOf(result.error));
      else counts = { ...counts, [result.outcome]: counts[result.outcome] + 1 };
    }
  }
  return { counts: { ...counts, failed: failures.length }, failures };
}

const isWorthRetrying = (error: CrmError) => error instanceof ServiceUnavailableError || error instanceof ContentionError || error instanceof BatchItemFailedError;

/** What writing the row would do, by the rules a write checks before it writes: its values, owner and links, and the record it would update. */
async function wouldWrite(deps: RecordDependencies, model: RecordModel, input: Record<string, unknown>, upsertOn: string | undefined, actor: Actor): Promise<'created' | 'updated' | 'unchanged'> {
  const parsed = model.createSchema.safeParse(input);
  if (!parsed.success) throw zodIssues(parsed.error, 'inputs.0');
  const key = upsertKeyOf(model, upsertOn);
  const value = key ? input[key.field] : undefined;
  const existing = key && typeof value === 'string' ? await findByUniqueValue(deps, model, value, key.field) : undefined;
  // The row's other unique values (an externalId when matching on email) must be free, or the record's own.
  for (const unique of model.uniqueFields.filter((candidate) => candidate !== key && typeof input[candidate.field] === 'string')) {
    const holder = await findByUniqueValue(deps, model, input[unique.field] as string, unique.field);
    if (holder && holder.id !== existing?.id) throw new UniqueValueTakenError(unique.field, input[unique.field] as string, holder.id);
  }
  if (!existing) {
    await planCreate(deps, model, parsed.data, actor);
    return 'created';
  }
  // The update the real write would plan, from the fields the row sent (as an upsert sends them): no changed field is `unchanged`.
  const sent = Object.fromEntries(Object.entries(parsed.data).filter(([field]) => field in input));
  const { changes } = await planUpdate(deps, model, existing, sent, actor);
  return changes.length === 0 ? 'unchanged' : 'updated';
}

/** A failure's reason as the error report says it: the problem, and each field named by its column. */
function reasonFor(error: CrmError, header: (field: string) => string | undefined): string {
  if (!(error instanceof ValidationError) || error.issues.length === 0) return error.message;
  return error.issues
    .map((issue) => {
      const field = issue.field.replace(/^inputs\.\d+\.?/, '');
      const column = header(field.split('.').slice(0, field.startsWith('properties.') ? 2 : 1).join('.'));
      const where = column ? ` (column "${column}")` : field ? ' (no column maps to it)' : '';
      return `${field || 'row'}${where}: ${issue.message}`;
    })
    .join('; ');
}

function keptValues(values: readonly string[]): string[] {
  let left = MAX_KEPT_ROW_CHARS;
  return values.map((value) => {
    const kept = value.slice(0, Math.max(0, left));
    left -= kept.length;
    return kept;
  });
}

/** One part of the error report: failed rows in line order, until a part's worth; then the import is over. */
async function writeReportPart(deps: ImportDependencies, job: ImportJob): Promise<{ readonly done: boolean }> {
  let current = job;
  if (!current.report.uploadId) current = await saveJob(deps, current, { report: { ...current.report, uploadId: await deps.files.startUpload(current.reportKey, 'text/csv; charset=utf-8') } });
  const { uploadId, parts } = current.report;
  const partNumber = parts.length + 1;
  let body = partNumber === 1 ? csvRows([['line', 'reason', ...current.headers!]]) : '';
  let bytes = Buffer.byteLength(body);
  // Range by range (each its own partition), each in line order: the file's order.
  // Jobs created before ranges have no `range` in their report.
  let range = current.report.range ?? 0;
  let startKey: PageKey | undefined = current.report.startKey ?? undefined;
  const listed = () => range >= current.ranges.length;
  while (!listed() && bytes < deps.partBytes) {
    const page = await deps.table.query(importQueries.failures(current.id, range), { limit: 500, ...(startKey ? { startKey } : {}) });
    const lines = csvRows(page.items.map((item) => [String(item.line), item.reason as string, ...(item.values as string[])]));
    body += lines;
    bytes += Buffer.byteLength(lines);
    startKey = page.lastKey;
    if (!startKey) range++;
  }
  if (!listed() && partNumber >= MAX_REPORT_PARTS) throw new Error(`import ${current.id}'s error report would take more than ${MAX_REPORT_PARTS} parts`);
  const etag = await deps.files.uploadPart(current.reportKey, uploadId!, partNumber, body);
  const report = { ...current.report, parts: [...parts, { partNumber, etag }], range, startKey: startKey ?? null };
  if (!listed()) {
    await saveJob(deps, current, { report });
    return { done: false };
  }
  await deps.files.completeUpload(current.reportKey, uploadId!, report.parts);
  // A cancelled import keeps its state, and the time it was cancelled.
  const ending = current.status === 'cancelled' ? {} : { status: current.error ? ('failed' as const) : ('done' as const), finishedAt: deps.clock.now().toISOString() };
  await saveJob(deps, current, { report: { ...report, written: true }, ...ending });
  return { done: true };
}

/** The run gave up (a step kept failing): the job says so. */
export async function recordImportFailure(deps: ImportDependencies, id: string, error: string): Promise<void> {
  const job = await readJob(deps, id);
  // Cancelled, its report could not be written: it stays cancelled, and says why there is no report.
  if (job.status === 'cancelled' && !job.report.written && job.report.uploadId) {
    await deps.files.abortUpload(job.reportKey, job.report.uploadId);
    await saveJob(deps, job, { error: `The error report could not be written: ${error}` });
    return;
  }
  if (job.status !== 'running') return;
  if (job.report.uploadId && !job.report.written) await deps.files.abortUpload(job.reportKey, job.report.uploadId);
  await saveJob(deps, job, { status: 'failed', error, finishedAt: deps.clock.now().toISOString() });
}

/** The imports one user created, newest first: the caller's own, or (admins) anyone's. */
export async function listImports(deps: ImportDependencies, query: PageRequest & { readonly createdBy?: string | undefined }, actor: Actor): Promise<Page<ImportView>> {
  requireCapability(actor, 'changeAnyRecord', 'list imports');
  const userId = query.createdBy ?? actor.id;
  if (userId !== actor.id && actor.role !== 'admin') throw new ForbiddenError("Only an admin may list another user's imports.", 'role admin');
  const list = await queryList(deps.table, importsByAuthor.query({ userId }), query);
  return pageOf(list, (items) => Promise.all(items.map((item) => itemToJob(item)).map((job) => (job ? viewOf(deps, job) : undefined))));
}

export async function getImport(deps: ImportDependencies, id: string, actor: Actor): Promise<ImportView> {
  const job = await readJob(deps, id);
  requireAuthorOrAdmin(job, actor);
  return viewOf(deps, job);
}

/** The job as its author sees it: counts, the upload URL while it waits for the file, the error report's URL once written. */
export async function viewOf(deps: ImportDependencies, job: ImportJob): Promise<ImportView> {
  const now = deps.clock.now().getTime();
  const awaitingUpload = job.status === 'awaiting-upload';
  const reportKept = job.report.written && job.finishedAt !== null && now < Date.parse(job.finishedAt) + FILE_RETENTION_MS;
  const fileName = `${modelOf(job.type).collection}-import-${job.id}-failed-rows.csv`;
  // While its ranges are written (or once cancelled then), each range keeps its counts.
  const counts = job.phase === 'rows' && Array.isArray(job.ranges) ? countsWith(job, await readRanges(deps, job)) : job.counts;
  return {
    id: job.id,
    type: modelOf(job.type).collection as ImportView['type'],
    dryRun: job.dryRun,
    status: job.status,
    mapping: job.mapping,
    delimiter: job.delimiter,
    upsertOn: upsertKeyOf(modelOf(job.type), job.upsertOn ?? undefined)!.field,
    rowsTotal: job.phase === 'split' ? null : (job.rowsInFile ?? null),
    ...counts,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    error: job.error,
    uploadUrl: awaitingUpload ? await deps.files.uploadUrl(job.objectKey, UPLOAD_URL_SECONDS) : null,
    uploadExpiresAt: awaitingUpload ? new Date(now + UPLOAD_URL_SECONDS * 1000).toISOString() : null,
    errorReportUrl: reportKept ? await deps.files.downloadUrl(job.reportKey, fileName, DOWNLOAD_URL_SECONDS) : null,
  };
}
