import { requireCapability } from '../access/permissions';
import { auditOp, type AuditEntry } from '../audit/audit-entries';
import { changedFields, type FieldChange } from '../records/field-changes';
import type { Actor } from '../shared/actor';
import { AlreadyExistsError, ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../shared/errors';
import { partitionQueries } from '../shared/key-design';
import { dealsByPipeline, recordKeys, recordsByType } from '../shared/keys';
import type { PageRequest } from '../shared/page';
import { listPage } from '../shared/pagination';
import type { CoreDependencies } from '../shared/dependencies';
import type { Item } from '../shared/table-port';
import { requireIfMatch, retryLostRaces, type IfMatch } from '../shared/optimistic-retry';
import type { Page } from '../shared/page';
import { DEFAULT_PIPELINE_ID, defaultPipeline, type Pipeline, type PipelineCreate, type PipelineStage, type PipelineUpdate } from './pipeline';

export type PipelineDependencies = CoreDependencies;

function toItem(pipeline: Pipeline): Item {
  return { ...pipeline, ...recordKeys.record('pipeline', pipeline.id), entity: 'pipeline', ...recordsByType.attributes({ type: 'pipeline' }, { at: pipeline.createdAt, id: pipeline.id }) };
}

/** The pipeline an item holds (as stored, or as the stream reports it). */
export function pipelineOfItem(item: Item): Pipeline {
  const { id, name, stages, isDefault, createdAt, updatedAt, version } = item as unknown as Pipeline;
  return { id, name, stages, isDefault, createdAt, updatedAt, version };
}

/**
 * The default pipeline is written the first time anyone asks for it, with a
 * create-if-absent put, so a fresh deployment needs no seeding step and concurrent
 * first requests all end up with the same single pipeline.
 */
async function ensureDefaultPipeline(deps: PipelineDependencies): Promise<Pipeline> {
  const pipeline = defaultPipeline(deps.clock.now().toISOString());
  try {
    await deps.table.transactWrite([{ op: 'put', item: toItem(pipeline), condition: { kind: 'absent' }, onConditionFailed: () => new ConflictError('exists') }]);
    return pipeline;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const existing = await deps.table.getItem(recordKeys.record('pipeline', DEFAULT_PIPELINE_ID));
    return pipelineOfItem(existing!);
  }
}

export async function findPipeline(deps: PipelineDependencies, id: string): Promise<Pipeline | undefined> {
  const item = await deps.table.getItem(recordKeys.record('pipeline', id));
  if (item) return pipelineOfItem(item);
  return id === DEFAULT_PIPELINE_ID ? ensureDefaultPipeline(deps) : undefined;
}

export async function getPipeline(deps: PipelineDependencies, id: string, actor: Actor): Promise<Pipeline> {
  requireCapability(actor, 'readRecords', 'read pipelines');
  return requirePipeline(deps, id);
}

async function requirePipeline(deps: PipelineDependencies, id: string): Promise<Pipeline> {
  const pipeline = await findPipeline(deps, id);
  if (!pipeline) throw new NotFoundError('pipeline', id);
  return pipeline;
}

export async function listPipelines(deps: PipelineDependencies, page: PageRequest, actor: Actor): Promise<Page<Pipeline>> {
  requireCapability(actor, 'readRecords', 'list pipelines');
  if (!page.cursor) await findPipeline(deps, DEFAULT_PIPELINE_ID);
  return listPage(deps.table, recordsByType.query({ type: 'pipeline' }), page, pipelineOfItem);
}

function withStageIds(deps: PipelineDependencies, stages: PipelineCreate['stages']): PipelineStage[] {
  return stages.map((stage) => ({ id: stage.id ?? deps.ids.next(), name: stage.name, probability: stage.probability, kind: stage.kind }));
}

const audit = (deps: PipelineDependencies, actor: Actor, pipeline: Pick<Pipeline, 'id'>, at: string, event: AuditEntry['event'], changes: FieldChange[] = []) =>
  auditOp({ recordType: 'pipeline', recordId: pipeline.id, at, entryId: deps.ids.next(), actor, event, changes });

export async function createPipeline(deps: PipelineDependencies, input: PipelineCreate, actor: Actor): Promise<Pipeline> {
  requireCapability(actor, 'manageSchema', 'create pipelines');
  const now = deps.clock.now().toISOString();
  const pipeline: Pipeline = { id: deps.ids.next(), name: input.name, stages: withStageIds(deps, input.stages), isDefault: false, createdAt: now, updatedAt: now, version: 1 };
  try {
    await deps.table.transactWrite([
      { op: 'put', item: toItem(pipeline), condition: { kind: 'absent' }, onConditionFailed: () => new AlreadyExistsError('pipeline', pipeline.id) },
      audit(deps, actor, pipeline, now, 'created'),
    ]);
    return pipeline;
  } catch (error) {
    // Only ids derived from an Idempotency-Key repeat: a retried create finds the pipeline it made.
    const existing = error instanceof AlreadyExistsError ? await findPipeline(deps, pipeline.id) : undefined;
    if (!existing) throw error;
    return existing;
  }
}

async function stageHasDeals(deps: PipelineDependencies, pipelineId: string, stageId?: string): Promise<boolean> {
  // Any shard holding one deal is enough; the shards are asked together.
  const pages = await Promise.all(partitionQueries(dealsByPipeline.query({ pipelineId }, { stageId })).map((query) => deps.table.query(query, { limit: 1 })));
  return pages.some((page) => page.items.length > 0);
}

/**
 * Stages are sent as the full ordered list: renaming, reordering and re-weighting
 * are free; removing a stage, or changing whether it counts as won or lost, is only
 * allowed while no deal sits in it, because deals keep their status from their stage.
 */
export async function updatePipeline(deps: PipelineDependencies, id: string, patch: PipelineUpdate, actor: Actor, ifMatch?: IfMatch): Promise<Pipeline> {
  requireCapability(actor, 'manageSchema', 'change pipelines');
  return retryLostRaces(deps.clock, { resource: 'pipeline', id, ...(ifMatch ? { ifMatch } : {}) }, async () => {
    const current = await requirePipeline(deps, id);
    requireIfMatch(ifMatch, current.version);
    const stages = patch.stages ? withStageIds(deps, patch.stages) : current.stages;
    for (const stage of current.stages) {
      const kept = stages.find((candidate) => candidate.id === stage.id);
      const blocked = !kept || kept.kind !== stage.kind;
      if (blocked && (await stageHasDeals(deps, id, stage.id))) {
        throw new ConflictError(`Stage ${stage.id} has deals; move them before removing it or changing its kind.`, { stageId: stage.id });
      }
    }
    const next: Pipeline = { ...current, name: patch.name ?? current.name, stages, updatedAt: deps.clock.now().toISOString(), version: current.version + 1 };
    const changes = changedFields(current, next, ['name', 'stages']);
    await deps.table.transactWrite([
      { op: 'put', item: toItem(next), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new PreconditionFailedError() },
      audit(deps, actor, next, next.updatedAt, 'updated', changes),
    ]);
    return next;
  });
}

export async function deletePipeline(deps: PipelineDependencies, id: string, actor: Actor, ifMatch?: IfMatch): Promise<void> {
  requireCapability(actor, 'manageSchema', 'delete pipelines');
  await retryLostRaces(deps.clock, { resource: 'pipeline', id, ...(ifMatch ? { ifMatch } : {}) }, async () => {
    const current = await requirePipeline(deps, id);
    if (current.isDefault) throw new ValidationError('The default pipeline cannot be deleted.', [{ field: 'path.id', message: 'default pipeline' }]);
    requireIfMatch(ifMatch, current.version);
    if (await stageHasDeals(deps, id)) throw new ConflictError(`Pipeline ${id} still has deals; move or delete them first.`);
    await deps.table.transactWrite([
      { op: 'delete', key: recordKeys.record('pipeline', id), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new PreconditionFailedError() },
      audit(deps, actor, current, deps.clock.now().toISOString(), 'deleted'),
    ]);
  });
}
