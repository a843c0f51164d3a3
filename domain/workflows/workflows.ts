import { requireCapability } from '../access/permissions';
import { auditedDocuments } from '../audit/audited-documents';
import { emailContentOf } from '../email/email-templates';
import type { RecordDependencies } from '../records/record-dependencies';
import type { RecordModel, RecordType } from '../records/record-model';
import { modelOf } from '../records/record-models';
import { findSequence } from '../sequences/sequence-items';
import { DEFAULT_PIPELINE_ID } from '../pipelines/pipeline';
import { pipelineOfItem } from '../pipelines/pipeline-use-cases';
import { validatePropertyValues } from '../properties/validate-property-values';
import { partitionQueries } from '../shared/key-design';
import { forEachQueryPage } from '../shared/pagination';
import type * as z from '../shared/zod';
import type { Actor } from '../shared/actor';
import { ValidationError, type FieldIssue } from '../shared/errors';
import { recordKeys, recordsByType, workflowsByTrigger } from '../shared/keys';
import type { IfMatch } from '../shared/optimistic-retry';
import type { CrmTablePort, Item } from '../shared/table-port';
import { zodIssues } from '../shared/zod-issues';
import { findTeam } from '../teams/teams';
import {
  asTrigger,
  isEventTrigger,
  recordTypeOfTrigger,
  triggerKeyOf,
  type ConditionGroup,
  type PlainActionInput,
  type StoredWorkflowAction,
  type Workflow,
  type WorkflowAction,
  type WorkflowActionInput,
  type WorkflowCondition,
  type WorkflowCreate,
  type WorkflowTrigger,
  type WorkflowUpdate,
} from './workflow';

export const workflowToItem = (workflow: Workflow): Item => ({
  ...recordKeys.record('workflow', workflow.id),
  entity: 'workflow',
  ...workflow,
  ...recordsByType.attributes({ type: 'workflow' }, { at: workflow.createdAt, id: workflow.id }),
  // Only enabled workflows are found by the events that trigger them.
  ...(workflow.enabled ? workflowsByTrigger.attributes({ eventType: triggerKeyOf(workflow.trigger) }, { id: workflow.id }) : {}),
});

export function itemToWorkflow(item: Item): Workflow {
  const { id, name, description, enabled, enabledAt, trigger, actions, createdBy, createdAt, updatedAt, version } = item as unknown as Workflow;
  return { id, name, ...(description ? { description } : {}), enabled, ...(enabledAt ? { enabledAt } : {}), trigger, actions, createdBy, createdAt, updatedAt, version };
}

export const workflowDocuments = auditedDocuments<Workflow>({
  resource: 'workflow',
  auditedAs: 'workflow',
  key: (id) => recordKeys.record('workflow', id),
  list: () => recordsByType.query({ type: 'workflow' }),
  toItem: workflowToItem,
  fromItem: itemToWorkflow,
  audited: ['name', 'description', 'enabled', 'trigger', 'actions'],
});

export const findWorkflow = (table: CrmTablePort, id: string) => workflowDocuments.find(table, id);

/** A workflow acts on customers unattended, as its author's team would: managers decide what it does. */
const MANAGE = 'changeAnyRecord' as const;

/**
 * Workflows are read by every role that reads, and deleted by managers; a deleted
 * workflow's runs in flight finish on their version and stay readable (listWorkflowRuns).
 */
export const { get: getWorkflow, list: listWorkflows, remove: deleteWorkflow } = workflowDocuments.useCases(MANAGE);

/** The fields of an object schema (zod/mini keeps them in its definition). */
const shapeOf = (schema: z.ZodMiniType): Record<string, z.ZodMiniType> => (schema as unknown as { _zod: { def: { shape?: Record<string, z.ZodMiniType> } } })._zod.def.shape ?? {};

/** What a workflow may name on a record of the trigger's type: its fields, the date fields among them, and its custom properties. */
async function fieldsOf(deps: RecordDependencies, model: RecordModel) {
  const shape = shapeOf(model.recordSchema);
  const definitions = await deps.propertyDefinitions(model.type);
  const properties = definitions.map((definition) => `properties.${definition.name}`);
  return {
    names: new Set([...Object.keys(shape).filter((field) => field !== 'properties'), ...properties]),
    dates: new Set([...dateFields[model.type], ...definitions.filter((definition) => definition.type === 'date').map((definition) => `properties.${definition.name}`)]),
    definitions,
  };
}

/** The fields of each record type that hold a date or a time: what a wait may wait until. */
const dateFields: Readonly<Record<RecordType, readonly string[]>> = {
  contact: ['createdAt', 'updatedAt'],
  company: ['createdAt', 'updatedAt'],
  deal: ['expectedCloseDate', 'closedAt', 'createdAt', 'updatedAt'],
  activity: ['dueAt', 'occurredAt', 'createdAt', 'updatedAt'],
};

/** Every stage id of every pipeline: a stage a condition or an update names must be one. */
async function stageIds(deps: RecordDependencies): Promise<Set<string>> {
  const ids = new Set<string>();
  // The default pipeline exists once first read.
  for (const stage of (await deps.getPipeline(DEFAULT_PIPELINE_ID))?.stages ?? []) ids.add(stage.id);
  for (const query of partitionQueries(recordsByType.query({ type: 'pipeline' }))) {
    await forEachQueryPage(deps.table, query, 100, (items) => items.forEach((item) => pipelineOfItem(item).stages.forEach((stage) => ids.add(stage.id))));
  }
  return ids;
}

const valuesOf = (condition: WorkflowCondition): unknown[] => (condition.value === undefined ? [] : Array.isArray(condition.value) ? condition.value : [condition.value]);

/**
 * Checks everything a workflow names against what exists now (fields of the trigger's
 * record type, templates, sequences, teams), all at once so one 400 lists every problem,
 * and answers the actions as stored: each template's words copied in.
 */
async function checkedWorkflow(deps: RecordDependencies, trigger: WorkflowTrigger, actions: readonly WorkflowActionInput[]): Promise<StoredWorkflowAction[]> {
  const recordType = recordTypeOfTrigger(trigger);
  const model = recordType ? modelOf(recordType) : undefined;
  const { names: fields, dates, definitions } = model ? await fieldsOf(deps, model) : { names: new Set<string>(), dates: new Set<string>(), definitions: [] };
  const collection = model?.collection ?? 'records';
  let stages: Promise<Set<string>> | undefined;
  const knownStage = async (stageId: unknown) => typeof stageId !== 'string' || (await (stages ??= stageIds(deps))).has(stageId);
  const issues: FieldIssue[] = [];
  const noRecord = isEventTrigger(trigger) ? `the record of a ${trigger.event} event is gone` : 'a schedule without staleDeals or dateField runs on no record';
  const checkConditions = (group: ConditionGroup, at: string) => {
    if (!model && group.conditions?.length) issues.push({ field: `${at}.conditions`, message: `${noRecord}: there is nothing to test` });
    else
      group.conditions?.forEach((condition, index) => {
        if (!fields.has(condition.field)) issues.push({ field: `${at}.conditions.${index}.field`, message: `${collection} have no field ${condition.field}` });
        else checks.push(checkConditionValues(condition, `${at}.conditions.${index}.value`));
      });
  };
  /**
   * A value a condition compares with must be one the field can hold (a number for an
   * amount, an existing stage for a stage), or the workflow could never run. null stands
   * for "empty"; server fields (createdAt, …) take any.
   */
  const updateShape = model ? shapeOf(model.updateSchema) : {};
  const checkConditionValues = async (condition: WorkflowCondition, at: string) => {
    if (!model) return;
    for (const value of valuesOf(condition)) {
      if (value === null) continue;
      if (condition.field.startsWith('properties.')) {
        const found = validatePropertyValues({ [condition.field.slice('properties.'.length)]: value }, definitions);
        if (found.length > 0) issues.push({ field: at, message: `not a value ${condition.field} can hold: ${found[0]!.message}` });
        continue;
      }
      const fieldSchema = updateShape[condition.field];
      // An element of a list field (a tag of tags) is checked as a list of one.
      const candidate = Array.isArray(fieldSchema?.safeParse([]).data) && !Array.isArray(value) ? [value] : value;
      if (fieldSchema && !fieldSchema.safeParse(candidate).success) issues.push({ field: at, message: `not a value ${condition.field} can hold` });
      else if (condition.field === 'stageId' && !(await knownStage(value))) issues.push({ field: at, message: `no pipeline has a stage ${String(value)}` });
    }
  };
  const checks: Promise<void>[] = [];
  checkConditions(trigger, 'body.trigger');
  // A schedule has no change for changed/changedTo/changedFrom to look at: they could never hold.
  if (!isEventTrigger(trigger)) {
    trigger.conditions?.forEach((condition, index) => {
      if (condition.operator.startsWith('changed')) issues.push({ field: `body.trigger.conditions.${index}.operator`, message: `a schedule has no change for ${condition.operator} to test` });
    });
  }

  const checkAction = async (action: PlainActionInput, at: string): Promise<WorkflowAction> => {
    const needsRecord = action.type !== 'createTask' && action.type !== 'wait' ? true : action.type === 'createTask' ? action.assignTo.kind === 'owner' : action.until !== undefined;
    if (!model && needsRecord) issues.push({ field: `${at}.type`, message: `${noRecord}: only tasks for a user or team, and waits of minutes, can run` });
    switch (action.type) {
      case 'createTask':
        if (action.assignTo.kind === 'roundRobin' && !(await findTeam(deps.table, action.assignTo.teamId))) {
          issues.push({ field: `${at}.assignTo.teamId`, message: `team ${action.assignTo.teamId} does not exist` });
        }
        if (action.assignTo.kind === 'user' && !(await deps.isOwner(action.assignTo.userId))) {
          issues.push({ field: `${at}.assignTo.userId`, message: `${action.assignTo.userId} is no known owner (GET /v1/owners)` });
        }
        return action;
      case 'updateFields': {
        const parsed = model?.updateSchema.safeParse(action.fields);
        if (parsed && !parsed.success) issues.push(...zodIssues(parsed.error, `${at}.fields`).issues);
        for (const name of Object.keys((action.fields.properties as Record<string, unknown> | undefined) ?? {})) {
          if (model && !fields.has(`properties.${name}`)) issues.push({ field: `${at}.fields.properties.${name}`, message: `${collection} have no custom property ${name}` });
        }
        if (model && !(await knownStage(action.fields.stageId))) issues.push({ field: `${at}.fields.stageId`, message: `no pipeline has a stage ${String(action.fields.stageId)}` });
        for (const person of ['ownerId', 'assigneeId'] as const) {
          const id = action.fields[person];
          if (typeof id === 'string' && !(await deps.isOwner(id))) issues.push({ field: `${at}.fields.${person}`, message: `${id} is no known owner (GET /v1/owners)` });
        }
        return action;
      }
      case 'addTags':
      case 'removeTags':
        if (model && !fields.has('tags')) issues.push({ field: `${at}.type`, message: `${collection} have no tags` });
        return action;
      case 'sendEmail':
        try {
          const words = await emailContentOf(deps, { templateId: action.templateId }, `${at}.templateId`);
          return { type: 'sendEmail', templateId: action.templateId, subject: words.subject, text: words.text, ...(words.html !== undefined ? { html: words.html } : {}) };
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          issues.push(...error.issues);
          return action as WorkflowAction;
        }
      case 'enrollInSequence':
      case 'removeFromSequence': {
        const sequence = await findSequence(deps.table, action.sequenceId);
        if (!sequence) issues.push({ field: `${at}.sequenceId`, message: `sequence ${action.sequenceId} does not exist` });
        else if (action.type === 'enrollInSequence' && sequence.status !== 'active') issues.push({ field: `${at}.sequenceId`, message: `sequence ${action.sequenceId} is archived` });
        return action;
      }
      case 'wait':
        if (model && action.until && !dates.has(action.until.field)) {
          issues.push({ field: `${at}.until.field`, message: `${collection} have no date field ${action.until.field} (${[...dates].join(', ')})` });
        }
        return action;
    }
  };

  const stored: StoredWorkflowAction[] = [];
  for (const [index, action] of actions.entries()) {
    const at = `body.actions.${index}`;
    if (action.type !== 'branch') {
      stored.push(await checkAction(action, at));
      continue;
    }
    checkConditions(action, at);
    const then: WorkflowAction[] = [];
    for (const [position, inner] of action.then.entries()) then.push(await checkAction(inner, `${at}.then.${position}`));
    const otherwise: WorkflowAction[] = [];
    for (const [position, inner] of (action.else ?? []).entries()) otherwise.push(await checkAction(inner, `${at}.else.${position}`));
    stored.push({ type: 'branch', ...(action.match ? { match: action.match } : {}), ...(action.conditions ? { conditions: action.conditions } : {}), then, ...(otherwise.length ? { else: otherwise } : {}) });
  }
  await Promise.all(checks);
  if (issues.length > 0) throw new ValidationError('The workflow names fields, values, templates, sequences, teams or users that do not exist, or actions its trigger cannot run.', issues);
  return stored;
}

export async function createWorkflow(deps: RecordDependencies, input: WorkflowCreate, actor: Actor): Promise<Workflow> {
  requireCapability(actor, MANAGE, 'create workflows');
  const trigger = asTrigger(input.trigger);
  const actions = await checkedWorkflow(deps, trigger, input.actions);
  const now = deps.clock.now().toISOString();
  const enabled = input.enabled ?? true;
  const workflow: Workflow = {
    id: deps.ids.next(),
    name: input.name,
    ...(input.description ? { description: input.description } : {}),
    enabled,
    ...(enabled ? { enabledAt: now } : {}),
    trigger,
    actions,
    createdBy: actor.id,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  return workflowDocuments.create(deps, workflow, actor);
}



/** Runs in flight keep the version they started with; the next event starts runs of this one. Saving checks the whole workflow again. */
export async function updateWorkflow(deps: RecordDependencies, id: string, patch: WorkflowUpdate, actor: Actor, ifMatch?: IfMatch): Promise<Workflow> {
  requireCapability(actor, MANAGE, 'change workflows');
  return workflowDocuments.update(deps, id, actor, ifMatch, async (current) => {
    const trigger = patch.trigger ? asTrigger(patch.trigger) : current.trigger;
    const enabled = patch.enabled ?? current.enabled;
    // What will run is checked: new actions or trigger, and kept ones of an enabled workflow
    // (what they name may be gone: a deleted team). A workflow may always be disabled.
    // Templates' words are copied anew, as on every checked save.
    const actions =
      patch.actions || patch.trigger || enabled ? await checkedWorkflow(deps, trigger, (patch.actions ?? current.actions) as WorkflowActionInput[]) : current.actions;
    const { description: _description, enabledAt: _enabledAt, ...kept } = current;
    const description = patch.description ?? current.description;
    const enabledAt = enabled ? (current.enabled ? current.enabledAt : deps.clock.now().toISOString()) : undefined;
    return { ...kept, name: patch.name ?? current.name, ...(description ? { description } : {}), enabled, ...(enabledAt ? { enabledAt } : {}), trigger, actions };
  });
}

