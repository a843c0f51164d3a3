import { deliverEmail, findSendableContact, personalise, type EmailDependencies } from '../email/send-email';
import { activityModel } from '../records/activity';
import { createRecord } from '../records/create-record';
import type { CrmRecord, RecordType } from '../records/record-model';
import { modelOf } from '../records/record-models';
import { changeRecord } from '../records/update-record';
import { enrollContact, stopEnrollment } from '../sequences/enrollments';
import type { Actor } from '../shared/actor';
import { withDerivedIds } from '../shared/dependencies';
import { ConflictError, EmailNotSendableError, NotFoundError, ValidationError } from '../shared/errors';
import { recordKeys, recordQueries, roundRobinKey } from '../shared/keys';
import { findTeam } from '../teams/teams';
import type { WorkflowAction } from './workflow';
import { fieldValue } from './workflow-conditions';

/**
 * What each action of a workflow does to the run's record. Every effect is idempotent for
 * one run and step, because Step Functions may run a task again after a timeout or crash:
 * a task's id and an email's id come from the run and step, setting fields or tags to what
 * they already are changes nothing, and enrolling or stopping a contact twice is refused
 * or a no-op. A round-robin ticket is taken once per run and step (the run keeps it).
 */

export interface ActionContext {
  readonly runId: string;
  readonly workflowId: string;
  readonly workflowAuthor: string;
  /** The step's position in the workflow: with the run id, what makes its effect idempotent. */
  readonly step: number;
  /** The record the run acts on; absent for a run without one (a schedule without a record selector, a deletion). */
  readonly recordType?: RecordType;
  readonly record?: CrmRecord;
  readonly actor: Actor;
  /** The round-robin ticket of this step: the one taken by an earlier attempt, or a new one (stored before use). */
  ticket(teamId: string): Promise<number>;
}

/** What an action did, for the run's record of the step. */
export interface ActionOutcome {
  readonly status: 'done' | 'skipped';
  readonly detail?: string;
}

/** Contacts an email or a sequence action goes to: the contact, or the contacts of a deal, activity or company. */
export const MAX_CONTACTS_PER_ACTION = 100;

async function contactIdsOf(deps: EmailDependencies, type: RecordType | undefined, record: CrmRecord | undefined): Promise<string[]> {
  if (!type || !record) return [];
  if (type === 'contact') return [record.id];
  if (type !== 'company') return ((record.contactIds as string[] | undefined) ?? []).slice(0, MAX_CONTACTS_PER_ACTION);
  // The first page is the first MAX_CONTACTS_PER_ACTION: the rest of a large company is not read.
  const { items } = await deps.table.query(recordQueries.linkedRecords('company', record.id, 'contact'), { limit: MAX_CONTACTS_PER_ACTION });
  return items.map((item) => recordKeys.linkedIdOf(item.sk));
}

/** The record's links, for a task made about it. */
const linksTo = (type: RecordType | undefined, record: CrmRecord | undefined): Record<string, string[]> =>
  !type || !record ? {} : type === 'contact' ? { contactIds: [record.id] } : type === 'company' ? { companyIds: [record.id] } : type === 'deal' ? { dealIds: [record.id] } : {};

async function assigneeOf(deps: EmailDependencies, action: Extract<WorkflowAction, { type: 'createTask' }>, context: ActionContext): Promise<string> {
  switch (action.assignTo.kind) {
    case 'owner':
      return (context.record?.ownerId as string | undefined) ?? context.workflowAuthor;
    case 'user':
      return action.assignTo.userId;
    case 'roundRobin': {
      const team = await findTeam(deps.table, action.assignTo.teamId);
      if (!team) throw new ValidationError(`Team ${action.assignTo.teamId} no longer exists.`);
      // Members in a stable order, so tickets n and n+1 go to neighbours whoever reads the team.
      const members = [...team.memberIds].sort();
      return members[(await context.ticket(team.id)) % members.length]!;
    }
  }
}

/** Each contact of the record in turn; a contact that cannot take part is skipped with its reason. */
async function forEachContact(deps: EmailDependencies, context: ActionContext, act: (contactId: string) => Promise<string | undefined>): Promise<ActionOutcome> {
  const contactIds = await contactIdsOf(deps, context.recordType, context.record);
  if (contactIds.length === 0) return { status: 'skipped', detail: 'no contacts' };
  const skipped: string[] = [];
  for (const contactId of contactIds) {
    const reason = await act(contactId);
    if (reason) skipped.push(`${contactId}: ${reason}`);
  }
  const done = contactIds.length - skipped.length;
  return { status: done > 0 ? 'done' : 'skipped', detail: [`${done} of ${contactIds.length} contacts`, ...skipped].join('; ').slice(0, 1_000) };
}

/** Ids of what one action makes, fixed by run, step and (for a contact's part) contact: a retried step finds what it made. */
const fixedIds = (deps: EmailDependencies, prefix: string) => withDerivedIds(deps, (n) => `${prefix}-${n}`);

/** The run's record, for actions that change it (saving refuses them on a trigger without one). */
function recordOf(context: ActionContext): { readonly model: ReturnType<typeof modelOf>; readonly record: CrmRecord } {
  if (!context.recordType || !context.record) throw new ValidationError('This action needs a record, and the run has none.');
  return { model: modelOf(context.recordType), record: context.record };
}

export async function performAction(deps: EmailDependencies, action: WorkflowAction, context: ActionContext): Promise<ActionOutcome> {
  switch (action.type) {
    case 'createTask': {
      const assigneeId = await assigneeOf(deps, action, context);
      const dueAt = action.dueInMinutes === undefined ? undefined : new Date(deps.clock.now().getTime() + action.dueInMinutes * 60_000).toISOString();
      const task = await createRecord(
        fixedIds(deps, `${context.runId}-${context.step}`),
        activityModel,
        { kind: 'task', subject: action.subject, ...(action.text ? { body: action.text } : {}), assigneeId, ownerId: assigneeId, ...linksTo(context.recordType, context.record), ...(dueAt ? { dueAt } : {}) },
        context.actor,
      );
      return { status: 'done', detail: `task ${task.id} for ${assigneeId}` };
    }
    case 'updateFields': {
      const { model, record } = recordOf(context);
      const after = await changeRecord(deps, model, record.id, () => action.fields, { actor: context.actor });
      return { status: 'done', detail: after.version === record.version ? 'already so' : `version ${after.version}` };
    }
    case 'addTags':
    case 'removeTags': {
      const { model, record } = recordOf(context);
      const after = await changeRecord(
        deps,
        model,
        record.id,
        (current) => {
          const tags = (current.tags as string[] | undefined) ?? [];
          const next = action.type === 'addTags' ? [...new Set([...tags, ...action.tags])] : tags.filter((tag) => !action.tags.includes(tag));
          return next.length === tags.length && next.every((tag, index) => tag === tags[index]) ? undefined : { tags: next };
        },
        { actor: context.actor },
      );
      return { status: 'done', detail: after.version === record.version ? 'already so' : `version ${after.version}` };
    }
    case 'sendEmail':
      return forEachContact(deps, context, async (contactId) => {
        const found = await findSendableContact(deps, contactId);
        if (!found) return 'deleted';
        if (!found.sendable) return found.reason;
        try {
          await deliverEmail(
            deps,
            found.contact,
            {
              contactId,
              ...(await personalise(deps, found.contact, action, {
                ...(context.recordType === 'deal' && context.record ? { deal: context.record } : {}),
                senderId: (context.record?.ownerId as string | undefined) ?? context.workflowAuthor,
              })),
              source: { kind: 'workflow', workflowId: context.workflowId, runId: context.runId, step: context.step },
              ...(action.templateId ? { templateId: action.templateId } : {}),
              messageId: `${context.runId}-${context.step}-${contactId}`,
            },
            context.actor,
          );
          return undefined;
        } catch (error) {
          if (error instanceof EmailNotSendableError) return error.reason;
          throw error;
        }
      });
    case 'enrollInSequence':
      return forEachContact(deps, context, async (contactId) => {
        try {
          await enrollContact(fixedIds(deps, `${context.runId}-${context.step}-${contactId}`), action.sequenceId, contactId, context.actor);
          return undefined;
        } catch (error) {
          if (error instanceof ConflictError || error instanceof EmailNotSendableError || error instanceof ValidationError) return error.message;
          throw error;
        }
      });
    case 'removeFromSequence':
      return forEachContact(deps, context, async (contactId) => {
        try {
          const stopped = await stopEnrollment(deps, action.sequenceId, contactId, context.actor);
          return stopped.stopReason === 'stopped-by-user' ? undefined : `not running (${stopped.status})`;
        } catch (error) {
          if (error instanceof NotFoundError) return 'not enrolled';
          throw error;
        }
      });
    case 'wait':
      throw new Error('A wait is run by the run itself (waitSeconds), not as an action.');
  }
}

/** How long a wait action waits from `now`, in whole seconds (0 when its moment has passed). */
export function waitSecondsOf(action: Extract<WorkflowAction, { type: 'wait' }>, record: Record<string, unknown>, now: Date): number {
  if (action.minutes !== undefined) return action.minutes * 60;
  const value = fieldValue(record, action.until!.field);
  const moment = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  // A date field that is empty or not a date: nothing to wait for.
  if (Number.isNaN(moment)) return 0;
  const until = moment + (action.until!.offsetMinutes ?? 0) * 60_000;
  return Math.max(0, Math.ceil((until - now.getTime()) / 1000));
}

/** A round-robin ticket for a team: every concurrent assignment gets a different one. */
export const takeTicket = (deps: Pick<EmailDependencies, 'table'>, teamId: string): Promise<number> => deps.table.increment(roundRobinKey(teamId), { entity: 'roundRobin' });
