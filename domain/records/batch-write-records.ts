import { inParallel } from '../shared/in-parallel';
import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { BatchItemFailedError, CrmError, UniqueValueTakenError, ValidationError } from '../shared/errors';
import { zodIssues } from '../shared/zod-issues';
import { packTransactions } from '../shared/transactions';
import { createRecord, planCreate, type PlannedCreate } from './create-record';
import { findByUniqueValue, findRecord } from './get-record';
import { uniqueGuardKey } from '../shared/keys';
import type { ItemKey } from '../shared/table-port';
import { readingOnce, type RecordDependencies } from './record-dependencies';
import type { CrmRecord, RecordModel, UniqueField } from './record-model';
import { updateRecord } from './update-record';

export const MAX_BATCH_INPUTS = 100;
/** Transactions (or, for inputs written alone, records) in flight at once. */
const PARALLEL_WRITES = 8;
/** Times a transaction is written again without the inputs whose conditions failed, before the rest go one by one. */
const TRANSACTION_ROUNDS = 3;

export type BatchResult =
  /** `unchanged`: an upsert found the record with every value sent already (an import run again). */
  | { readonly index: number; readonly outcome: 'created' | 'updated' | 'unchanged'; readonly record: CrmRecord }
  | { readonly index: number; readonly outcome: 'failed'; readonly error: CrmError };

export interface BatchOptions {
  /** The dependencies of one input: an idempotent request gives each input ids derived from its key and position. */
  readonly depsFor?: (index: number) => RecordDependencies;
  /** The unique field an input's record is found by when its value is taken (an import's choice); the type's first unique field if not given. */
  readonly upsertOn?: string;
}

interface ValidInput {
  readonly index: number;
  readonly data: Record<string, unknown>;
  /** The fields the input sent: only these overwrite a record an upsert finds, not the create defaults. */
  readonly provided: Record<string, unknown>;
}

type PlannedInput = ValidInput & PlannedCreate;

/**
 * Creates many records, each on its own: one bad input never blocks the others, and there
 * is one result per input. Types with a unique field upsert on it, so re-running an import
 * creates no duplicates: an existing email or domain updates that record instead.
 *
 * New records are written many to a transaction (each keeps its guard, links and timeline
 * entry, atomically), which costs what one transaction per record costs in capacity but
 * a fraction of the round trips. An input whose condition fails there (its email taken,
 * a linked record gone) is written alone instead, where the usual upsert and errors apply.
 * Inputs that share a unique value run one after another, so they cannot race each other.
 */
export async function batchWriteRecords(requestDeps: RecordDependencies, model: RecordModel, inputs: readonly unknown[], actor: Actor, options: BatchOptions = {}): Promise<BatchResult[]> {
  requireCapability(actor, 'createRecords', `import ${model.collection}`);
  const shared = readingOnce(requestDeps);
  // A fresh generator per call: an input written again after its transaction failed gets the same ids.
  const idsOf = (index: number) => (options.depsFor ? { ids: options.depsFor(index).ids } : {});
  const depsOf = (index: number): RecordDependencies => ({ ...shared, ...idsOf(index) });
  // An input written alone reads pipelines and definitions afresh: the shared reads may be
  // what made its transaction fail (a pipeline changed since, so its version check did).
  const aloneDepsOf = (index: number): RecordDependencies => ({ ...requestDeps, ...idsOf(index) });
  const results = new Map<number, BatchResult>();
  const key = upsertKeyOf(model, options.upsertOn);
  const lanes = new Map<string, number[]>();
  inputs.forEach((input, index) => {
    const value = uniqueValueOf(key, input);
    const lane = value === undefined ? `input ${index}` : `value ${value}`;
    lanes.set(lane, [...(lanes.get(lane) ?? []), index]);
  });

  const parsedFirsts: ValidInput[] = [];
  for (const index of [...lanes.values()].map((lane) => lane[0]!)) {
    const parsed = parseInput(model, inputs[index], index);
    if ('error' in parsed) results.set(index, parsed);
    else parsedFirsts.push(parsed);
  }
  // Inputs whose key value a record holds already go straight to updating it: a file imported again would otherwise try every row's create, and fail it, twice.
  const holders = await holdersOfValues(shared, model, key, parsedFirsts);
  const valid = parsedFirsts.filter((input) => !holders.has(input));
  await inParallel([...holders], PARALLEL_WRITES, async ([input, holderId]) => results.set(input.index, await writeAlone(aloneDepsOf(input.index), model, key, input, actor, holderId)));
  const planned: PlannedInput[] = [];
  await inParallel(valid, PARALLEL_WRITES, async (input) => {
    try {
      planned.push({ ...input, ...(await planCreate(depsOf(input.index), model, input.data, actor)) });
    } catch (error) {
      results.set(input.index, failure(error, input.index));
    }
  });
  planned.sort((a, b) => a.index - b.index);
  const alone = await writeTogether(
    shared,
    planned,
    (input) => results.set(input.index, { index: input.index, outcome: 'created', record: input.record }),
    (input, error) => results.set(input.index, failure(error, input.index)),
  );
  await inParallel(alone, PARALLEL_WRITES, async (input) => results.set(input.index, await writeAlone(aloneDepsOf(input.index), model, key, input, actor)));

  // The other inputs of a lane, in order, after its first.
  await inParallel([...lanes.values()].filter((lane) => lane.length > 1), PARALLEL_WRITES, async (lane) => {
    for (const index of lane.slice(1)) {
      const parsed = parseInput(model, inputs[index], index);
      results.set(index, 'error' in parsed ? parsed : await writeAlone(depsOf(index), model, key, parsed, actor));
    }
  });
  return inputs.map((_, index) => results.get(index)!);
}

/**
 * Writes planned inputs many to a transaction; answers the inputs to write alone: those
 * whose conditions failed, and what still failed after a few rounds.
 */
async function writeTogether(
  deps: RecordDependencies,
  planned: readonly PlannedInput[],
  written: (input: PlannedInput) => void,
  failed: (input: PlannedInput, error: unknown) => void,
): Promise<PlannedInput[]> {
  const alone: PlannedInput[] = [];
  await inParallel(packTransactions(planned), PARALLEL_WRITES, async (transaction) => {
    let pending = transaction;
    for (let round = 1; ; round++) {
      let failedOps: readonly number[];
      try {
        failedOps = await deps.table.tryTransactWrite(pending.ops);
      } catch (error) {
        // Cancelled without a failed condition (contention, an item too large): each input alone tells which.
        if (error instanceof CrmError) return void alone.push(...pending.writes);
        // Anything else leaves unknown whether the transaction landed: writing again could duplicate.
        return pending.writes.forEach((input) => failed(input, error));
      }
      if (failedOps.length === 0) return pending.writes.forEach(written);
      const failing = new Set(failedOps.flatMap((position) => pending.owners[position]!));
      alone.push(...failing);
      const rest = pending.writes.filter((input) => !failing.has(input));
      if (rest.length === 0) return;
      if (round === TRANSACTION_ROUNDS) return void alone.push(...rest);
      // The rest touch no item any failing input touches, so they fit one transaction again.
      pending = packTransactions(rest)[0]!;
    }
  });
  return alone;
}

/**
 * The inputs whose key value a record holds now, with that record's id, by one batch read of
 * their guards. A value taken after this read is still caught by the create's condition.
 */
async function holdersOfValues(deps: RecordDependencies, model: RecordModel, key: UniqueField | undefined, inputs: readonly ValidInput[]): Promise<Map<ValidInput, string>> {
  if (!key) return new Map();
  const byGuard = new Map<string, { readonly guard: ItemKey; readonly input: ValidInput }>();
  for (const input of inputs) {
    const value = input.data[key.field];
    if (typeof value !== 'string') continue;
    const guard = uniqueGuardKey(model.type, key.field, key.normalize(value));
    byGuard.set(`${guard.pk}\n${guard.sk}`, { guard, input });
  }
  if (byGuard.size === 0) return new Map();
  const found = await deps.table.getItems([...byGuard.values()].map((entry) => entry.guard));
  return new Map(found.flatMap((guard) => {
    const input = byGuard.get(`${guard.pk}\n${guard.sk}`)?.input;
    return input ? [[input, guard.recordId as string] as const] : [];
  }));
}

function parseInput(model: RecordModel, input: unknown, index: number): ValidInput | (BatchResult & { readonly error: CrmError }) {
  const parsed = model.createSchema.safeParse(input);
  if (!parsed.success) return { index, outcome: 'failed', error: zodIssues(parsed.error, `inputs.${index}`) };
  const sent = new Set(Object.keys(input as object));
  return { index, data: parsed.data, provided: Object.fromEntries(Object.entries(parsed.data).filter(([field]) => sent.has(field))) };
}

/** One input on its own: an upsert; given the id of the record its key value was found held by, that record is updated without trying the create. */
async function writeAlone(deps: RecordDependencies, model: RecordModel, key: UniqueField | undefined, input: ValidInput, actor: Actor, holderId?: string): Promise<BatchResult> {
  try {
    if (holderId && key) {
      const holder = await findRecord(deps, model, holderId);
      // Still holding the value: a record whose value changed since the batch read it is not this input's to overwrite.
      const stillHolds = holder !== undefined && typeof holder[key.field] === 'string' && key.normalize(holder[key.field] as string) === key.normalize(input.data[key.field] as string);
      const updated = stillHolds ? await updateRecordOf(deps, model, holder, input.provided, input.index, actor) : undefined;
      // Gone since (deleted, merged away, its value changed): the usual upsert, create first.
      if (updated) return updated;
    }
    return await upsert(deps, model, key, input.data, input.provided, input.index, actor);
  } catch (error) {
    return failure(error, input.index);
  }
}

function failure(error: unknown, index: number): BatchResult {
  // An unexpected failure of one input must not abort the batch after others were written.
  if (!(error instanceof CrmError)) return { index, outcome: 'failed', error: new BatchItemFailedError(error) };
  return { index, outcome: 'failed', error: error instanceof ValidationError ? namingTheInput(error, index) : error };
}

/** The unique field inputs upsert on: `upsertOn` if given (one of the type's unique fields), else the type's first. */
export function upsertKeyOf(model: RecordModel, upsertOn?: string): UniqueField | undefined {
  if (upsertOn === undefined) return model.uniqueFields[0];
  const key = model.uniqueFields.find((unique) => unique.field === upsertOn);
  if (!key) throw new ValidationError(`${model.collection} cannot be matched by ${upsertOn}.`, [{ field: 'body.upsertOn', message: `one of: ${model.uniqueFields.map((unique) => unique.field).join(', ')}` }]);
  return key;
}

function uniqueValueOf(key: UniqueField | undefined, input: unknown): string | undefined {
  const value = key && typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[key.field] : undefined;
  return key && typeof value === 'string' ? key.normalize(value) : undefined;
}

/** The use cases name fields of the body they were given (`body.companyIds`); in a batch that body is `inputs.<index>`. */
function namingTheInput(error: ValidationError, index: number): ValidationError {
  return new ValidationError(error.message, error.issues.map((issue) => ({ ...issue, field: issue.field.replace(/^body(?=\.|$)/, `inputs.${index}`) })));
}

/** `existing` updated with what the input sent, and whether that changed it; undefined when there is no record to update. */
async function updateRecordOf(deps: RecordDependencies, model: RecordModel, existing: CrmRecord | undefined, provided: Record<string, unknown>, index: number, actor: Actor): Promise<BatchResult | undefined> {
  if (!existing) return undefined;
  const record = await updateRecord(deps, model, existing.id, provided, { actor });
  return { index, outcome: record.version === existing.version ? 'unchanged' : 'updated', record };
}

/**
 * Create first, and only when the unique value turns out to be taken, update the record
 * that holds it: a fresh import then costs one round trip per record, and the guard
 * item decides atomically which writer gets the value.
 */
async function upsert(
  deps: RecordDependencies,
  model: RecordModel,
  key: UniqueField | undefined,
  input: Record<string, unknown>,
  provided: Record<string, unknown>,
  index: number,
  actor: Actor,
  attemptsLeft = 2,
): Promise<BatchResult> {
  try {
    return { index, outcome: 'created', record: await createRecord(deps, model, input, actor) };
  } catch (error) {
    const value = key ? input[key.field] : undefined;
    if (!(error instanceof UniqueValueTakenError) || typeof value !== 'string') throw error;
    // Whichever unique value the create found taken, the record the key finds is the one to update (its other values are checked by the update).
    const updated = await updateRecordOf(deps, model, await findByUniqueValue(deps, model, value, key!.field), provided, index, actor);
    if (updated) return updated;
    // Another value taken (the key's is free): the input fails, naming it.
    if (error.field !== key!.field) throw error;
    // The holder was deleted between our create and our lookup: the value is free again.
    if (attemptsLeft > 1) return upsert(deps, model, key, input, provided, index, actor, attemptsLeft - 1);
    throw error;
  }
}
