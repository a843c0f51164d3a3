import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { BatchItemFailedError, CrmError, UniqueValueTakenError, ValidationError } from '../shared/errors';
import { zodIssues } from '../shared/zod-issues';
import { createRecord } from './create-record';
import { findByUniqueValue } from './get-record';
import { readingOnce, type RecordDependencies } from './record-dependencies';
import type { CrmRecord, RecordModel } from './record-model';
import { updateRecord } from './update-record';

export const MAX_BATCH_INPUTS = 100;
const PARALLEL_WRITES = 8;

export type BatchResult =
  | { readonly index: number; readonly outcome: 'created' | 'updated'; readonly record: CrmRecord }
  | { readonly index: number; readonly outcome: 'failed'; readonly error: CrmError };

/**
 * Creates many records, each on its own (one bad input never blocks the others).
 * Types with a unique field upsert on it, so re-running an import creates no
 * duplicates: an existing email or domain updates that record instead. Inputs that
 * share a unique value run one after another, so they cannot race each other.
 */
export interface BatchOptions {
  /** The dependencies of one input: an idempotent request gives each input ids derived from its key and position. */
  readonly depsFor?: (index: number) => RecordDependencies;
}

export async function batchWriteRecords(requestDeps: RecordDependencies, model: RecordModel, inputs: readonly unknown[], actor: Actor, options: BatchOptions = {}): Promise<BatchResult[]> {
  requireCapability(actor, 'createRecords', `import ${model.collection}`);
  const shared = readingOnce(requestDeps);
  const depsOf = (index: number): RecordDependencies => (options.depsFor ? { ...shared, ids: options.depsFor(index).ids } : shared);
  const lanes = new Map<string, number[]>();
  inputs.forEach((input, index) => {
    const lane = uniqueValueOf(model, input) ?? `#${index}`;
    lanes.set(lane, [...(lanes.get(lane) ?? []), index]);
  });

  const results: BatchResult[] = [];
  const queue = [...lanes.values()];
  const worker = async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const index of lane) results.push(await writeOne(depsOf(index), model, inputs[index], index, actor));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_WRITES }, worker));
  return results.sort((a, b) => a.index - b.index);
}

function uniqueValueOf(model: RecordModel, input: unknown): string | undefined {
  const field = model.uniqueField;
  const value = field && typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[field.field] : undefined;
  return field && typeof value === 'string' ? field.normalize(value) : undefined;
}

async function writeOne(deps: RecordDependencies, model: RecordModel, input: unknown, index: number, actor: Actor): Promise<BatchResult> {
  const parsed = model.createSchema.safeParse(input);
  if (!parsed.success) return { index, outcome: 'failed', error: zodIssues(parsed.error, `inputs.${index}`) };
  // Only what the input sent may overwrite an existing record, not the create defaults.
  const sent = new Set(Object.keys(input as object));
  const provided = Object.fromEntries(Object.entries(parsed.data).filter(([field]) => sent.has(field)));
  try {
    return await upsert(deps, model, parsed.data, provided, index, actor);
  } catch (error) {
    // An unexpected failure of one input must not abort the batch after others were written.
    if (!(error instanceof CrmError)) return { index, outcome: 'failed', error: new BatchItemFailedError(error) };
    return { index, outcome: 'failed', error: error instanceof ValidationError ? namingTheInput(error, index) : error };
  }
}

/** The use cases name fields of the body they were given (`body.companyIds`); in a batch that body is `inputs.<index>`. */
function namingTheInput(error: ValidationError, index: number): ValidationError {
  return new ValidationError(error.message, error.issues.map((issue) => ({ ...issue, field: issue.field.replace(/^body(?=\.|$)/, `inputs.${index}`) })));
}

/**
 * Create first, and only when the unique value turns out to be taken, update the record
 * that holds it: a fresh import then costs one round trip per record, and the guard
 * item decides atomically which writer gets the value.
 */
async function upsert(
  deps: RecordDependencies,
  model: RecordModel,
  input: Record<string, unknown>,
  provided: Record<string, unknown>,
  index: number,
  actor: Actor,
  attemptsLeft = 2,
): Promise<BatchResult> {
  try {
    return { index, outcome: 'created', record: await createRecord(deps, model, input, actor) };
  } catch (error) {
    const unique = model.uniqueField;
    const value = unique ? input[unique.field] : undefined;
    if (!(error instanceof UniqueValueTakenError) || typeof value !== 'string') throw error;
    const existing = await findByUniqueValue(deps, model, value);
    if (existing) return { index, outcome: 'updated', record: await updateRecord(deps, model, existing.id, provided, { actor }) };
    // The holder was deleted between our create and our lookup: the value is free again.
    if (attemptsLeft > 1) return upsert(deps, model, input, provided, index, actor, attemptsLeft - 1);
    throw error;
  }
}
