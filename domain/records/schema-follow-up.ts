import type { Pipeline } from '../pipelines/pipeline';
import { pipelineOfItem } from '../pipelines/pipeline-use-cases';
import { objectTypeOf, type PropertyDefinition } from '../properties/property-definition';
import { propertyDefinitionOfItem } from '../properties/property-use-cases';
import { validatePropertyValues } from '../properties/validate-property-values';
import type { Actor } from '../shared/actor';
import { NotFoundError } from '../shared/errors';
import { inParallel } from '../shared/in-parallel';
import { partitionQueries, type ListQuery } from '../shared/key-design';
import { dealsByPipeline, propertyDefinitionKeys, recordsByType } from '../shared/keys';
import type { TableChange } from '../shared/table-change';
import { forEachQueryPage } from '../shared/pagination';
import type { Item } from '../shared/table-port';
import { dealModel } from './deal';
import type { RecordDependencies } from './record-dependencies';
import { itemToRecord } from './record-items';
import type { CrmRecord, RecordModel } from './record-model';
import { modelOf } from './record-models';
import { changeRecord } from './update-record';

/**
 * What records must follow when the schema they depend on changes, as a CRM user expects
 * (HubSpot does the same): a deal's probability is its stage's, so re-weighting a stage
 * re-weights its deals; a deleted custom property takes its values with it, and so does a
 * removed enum option or a property re-created with another type. Run from the table's
 * stream (functions/schema-follow-up.ts) after the pipeline or definition was written:
 * through indexes, never a Scan, and never on a request path. Records are changed one by
 * one like any other write (versioned, audited), by the system on behalf of the change.
 */

const followUpActor = (reason: string): Actor => ({ type: 'system', id: 'schema-follow-up', role: 'admin', onBehalfOf: reason });

/** Records changed at once per partition of a list: its shards are walked side by side too. */
const FOLLOW_CONCURRENCY = 4;

/**
 * Every item of a list, in every partition it may be in. A run that times out is retried by
 * the stream from the start, and finds the records it already changed needing nothing: the
 * data is its checkpoint.
 */
async function forEachListed(deps: RecordDependencies, list: ListQuery, visit: (item: Item) => Promise<void>): Promise<void> {
  await Promise.all(
    partitionQueries(list).map((query) => forEachQueryPage(deps.table, query, 100, (page) => inParallel(page, FOLLOW_CONCURRENCY, visit))),
  );
}

/** Changes one record when `patchFor` says so (re-deciding on its current version), unless it is gone. */
async function follow(deps: RecordDependencies, model: RecordModel, record: CrmRecord, patchFor: (current: CrmRecord) => Record<string, unknown> | undefined, actor: Actor): Promise<boolean> {
  if (!patchFor(record)) return false;
  try {
    const changed = await changeRecord(deps, model, record.id, patchFor, { actor });
    return changed.version !== record.version;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/** Deals in each stage whose probability changed get the stage's new probability. Returns how many changed. */
export async function dealsFollowStageProbabilities(deps: RecordDependencies, before: Pipeline | undefined, after: Pipeline): Promise<number> {
  let changed = 0;
  for (const stage of after.stages) {
    const previous = before?.stages.find((candidate) => candidate.id === stage.id);
    if (!previous || previous.probability === stage.probability) continue;
    const actor = followUpActor(`pipeline ${after.id}, stage ${stage.id}`);
    const patchFor = (deal: CrmRecord) => (deal.pipelineId === after.id && deal.stageId === stage.id && deal.probability !== stage.probability ? { probability: stage.probability } : undefined);
    await forEachListed(deps, dealsByPipeline.query({ pipelineId: after.id }, { stageId: stage.id }), async (item) => {
      const deal = itemToRecord(item);
      if (deal && (await follow(deps, dealModel, deal, patchFor, actor))) changed++;
    });
  }
  return changed;
}

/**
 * Values of the custom property `name` that its current definition does not allow (it was
 * deleted, an option was removed, it was re-created with another type) are removed from
 * every record of the type. Values the current definition allows stay, so a property
 * re-created while this runs keeps what was written for it. Returns how many records changed.
 */
export async function recordsFollowPropertyDefinition(deps: RecordDependencies, model: RecordModel, name: string, current: PropertyDefinition | undefined): Promise<number> {
  const allowed = (value: unknown) => current !== undefined && validatePropertyValues({ [name]: value }, [current]).length === 0;
  const patchFor = (record: CrmRecord) => {
    const value = (record.properties as Record<string, unknown> | undefined)?.[name];
    return value === undefined || allowed(value) ? undefined : { properties: { [name]: null } };
  };
  const actor = followUpActor(`property ${model.collection}/${name}`);
  let changed = 0;
  await forEachListed(deps, recordsByType.query({ type: model.type }), async (item) => {
    const record = itemToRecord(item);
    if (record && (await follow(deps, model, record, patchFor, actor))) changed++;
  });
  return changed;
}

/** What a change of a pipeline or of a property definition (from the stream) makes records do; how many records changed. */
export async function followSchemaChange(deps: RecordDependencies, change: TableChange): Promise<number> {
  if (change.entity === 'pipeline' && change.kind === 'modified' && change.after) {
    return dealsFollowStageProbabilities(deps, change.before ? pipelineOfItem(change.before) : undefined, pipelineOfItem(change.after));
  }
  if (change.entity === 'propertyDefinition' && change.kind !== 'inserted') {
    const before = propertyDefinitionOfItem(change.before!);
    const after = change.after ? propertyDefinitionOfItem(change.after) : undefined;
    // A new label or description, or a new enum option, leaves every value valid.
    const keptEveryOption = (before.options ?? []).every((option) => after?.options?.some((kept) => kept.value === option.value));
    if (after && after.type === before.type && keptEveryOption) return 0;
    const type = objectTypeOf[before.objectType];
    // Decided on the definition as it is now, not as the stream saw it: it may have been re-created since.
    const currentItem = await deps.table.getItem(propertyDefinitionKeys.definition(type, before.name));
    return recordsFollowPropertyDefinition(deps, modelOf(type), before.name, currentItem ? propertyDefinitionOfItem(currentItem) : undefined);
  }
  return 0;
}
