import * as z from '../shared/zod';
import { customProperties, externalId, externalIdLookup, idList, isoDateTime, longText, recordId, shortText, userId } from '../shared/common-fields';
import { ValidationError } from '../shared/errors';
import { byLastUpdate, recordsByDate, recordsByFacet, recordsByOwner, recordsByType, tasksByAssignee } from '../shared/keys';
import { once } from '../shared/built-on-first-use';
import { externalIdField, recordModel, type CrmRecord } from './record-model';
import { listQuerySchemaOf, patchSchemaOf, serverRecordSchema } from './schema-helpers';
import { instantSort, oneOf, singleValued, updateRangeOf } from './list-views';

export const activityKinds = ['note', 'task', 'call', 'meeting', 'email'] as const;
const taskOnlyFields = ['dueAt', 'taskStatus', 'assigneeId'] as const;

const address = z.string().check(z.trim(), z.minLength(3), z.maxLength(320));
/** A Message-ID (RFC 5322 caps a header line at 998 characters). */
const messageIdValue = z.string().check(z.minLength(1), z.maxLength(998));
/** What an email activity says of its message besides subject and text: who, which thread, which files. */
const emailDetails = () =>
  z
    .strictObject({
      from: address,
      to: z.array(address).check(z.maxLength(50)),
      cc: z.optional(z.array(address).check(z.maxLength(50))),
      messageId: z.optional(messageIdValue),
      inReplyTo: z.optional(messageIdValue),
      references: z.optional(z.array(messageIdValue).check(z.maxLength(20))),
      attachments: z.optional(z.array(z.strictObject({ name: shortText(255), sizeBytes: z.int().check(z.gte(0)), contentType: z.optional(shortText(255)) })).check(z.maxLength(50))),
      autoReply: z.optional(z.boolean()),
      bodyOmitted: z.optional(z.literal(true).check(z.meta({ description: 'The message was larger than the CRM keeps: its text is not stored.' }))),
    })
    .check(z.meta({ id: 'EmailDetails', description: "Email activities only: the message's addresses, thread ids and attachments (inbound mail fills these in)." }));
/** Keeps every activity write, with all its timeline links, inside one 100-item transaction. */
export const MAX_ACTIVITY_LINKS = 30;

const activityShape = once(() => ({
  subject: shortText(300),
  externalId,
  body: longText,
  occurredAt: isoDateTime.check(z.meta({ description: 'When it happened (for tasks: when created); orders the timelines. Defaults to now.' })),
  dueAt: isoDateTime.check(z.meta({ description: 'Tasks only.' })),
  taskStatus: z.enum(['open', 'done']).check(z.meta({ description: 'Tasks only; defaults to open.' })),
  assigneeId: userId.check(z.meta({ description: 'Tasks only: who has to do it.' })),
  durationMinutes: z.int().check(z.gte(0), z.lte(1_440)),
  direction: z.enum(['inbound', 'outbound']),
  email: emailDetails(),
  ownerId: userId,
  contactIds: idList(MAX_ACTIVITY_LINKS),
  companyIds: idList(MAX_ACTIVITY_LINKS),
  dealIds: idList(MAX_ACTIVITY_LINKS),
  properties: customProperties,
}));

export const activityModel = recordModel(
  {
    type: 'activity',
    uniqueFields: [externalIdField],
    references: [
      { field: 'contactIds', target: 'contact', many: true, linkKind: 'timeline' },
      { field: 'companyIds', target: 'company', many: true, linkKind: 'timeline' },
      { field: 'dealIds', target: 'deal', many: true, linkKind: 'timeline' },
    ],

    async derive(draft, context) {
      const isTask = draft.kind === 'task';
      const misplaced = isTask ? [] : taskOnlyFields.filter((field) => draft[field] !== undefined && draft[field] !== null);
      if (draft.kind !== 'email' && draft.email !== undefined && draft.email !== null) {
        throw new ValidationError('email applies to email activities only.', [{ field: 'body.email', message: 'email activities only' }]);
      }
      if (misplaced.length > 0) {
        throw new ValidationError(
          `${misplaced.join(', ')} ${misplaced.length === 1 ? 'applies' : 'apply'} to tasks only.`,
          misplaced.map((field) => ({ field: `body.${field}`, message: 'tasks only' })),
        );
      }
      const links = ['contactIds', 'companyIds', 'dealIds'].map((field) => (draft[field] as string[] | undefined) ?? []);
      if (links.flat().length > MAX_ACTIVITY_LINKS) {
        throw new ValidationError(`An activity links to at most ${MAX_ACTIVITY_LINKS} records.`, [{ field: 'body', message: `at most ${MAX_ACTIVITY_LINKS} links in all` }]);
      }
      return {
        occurredAt: (draft.occurredAt as string | undefined) ?? context.now,
        ...(isTask ? { taskStatus: (draft.taskStatus as string | undefined) ?? 'open' } : {}),
        contactIds: links[0],
        companyIds: links[1],
        dealIds: links[2],
      };
    },

    indexKeys: (record: CrmRecord) => ({
      ...(record.ownerId ? recordsByOwner.attributes({ type: 'activity', ownerId: record.ownerId as string }, byLastUpdate(record)) : {}),
      ...recordsByFacet.attributes({ type: 'activity', facet: 'kind', value: record.kind as string }, byLastUpdate(record)),
      ...(record.kind === 'task' && record.assigneeId
        ? tasksByAssignee.attributes({ assigneeId: record.assigneeId as string }, { taskStatus: record.taskStatus as string, dueAt: record.dueAt as string | undefined, id: record.id })
        : {}),
      ...(record.kind === 'task' && record.taskStatus === 'open' && typeof record.dueAt === 'string'
        ? recordsByDate.attributes({ type: 'activity', field: 'dueAt' }, { value: record.dueAt, id: record.id })
        : {}),
    }),

    lists: {
      filters: [
        singleValued('ownerId'),
        singleValued('kind'),
        singleValued('assigneeId'),
        singleValued('taskStatus'),
        oneOf('companyId', 'companyIds'),
        oneOf('contactId', 'contactIds'),
        oneOf('dealId', 'dealIds'),
      ],
      sorts: [instantSort('createdAt'), instantSort('updatedAt'), instantSort('occurredAt'), instantSort('dueAt', 'asc')],
      views: [
        { filters: [], sorts: ['occurredAt'], indexed: { updatedAt: (_, range) => recordsByType.query({ type: 'activity' }, updateRangeOf(range)) } },
        { filters: ['ownerId'], sorts: ['occurredAt'], indexed: { updatedAt: ({ ownerId }, range) => recordsByOwner.query({ type: 'activity', ownerId: ownerId! }, updateRangeOf(range)) } },
        { filters: ['kind'], sorts: ['occurredAt'], indexed: { updatedAt: ({ kind }, range) => recordsByFacet.query({ type: 'activity', facet: 'kind', value: kind! }, updateRangeOf(range)) } },
        // A record's calls, meetings or emails (its timeline holds all of them, every kind).
        { filters: ['companyId', 'kind'], sorts: ['occurredAt'] },
        { filters: ['contactId', 'kind'], sorts: ['occurredAt'] },
        { filters: ['dealId', 'kind'], sorts: ['occurredAt'] },
        // Unsorted, a user's tasks come open before done, each by due time (undated last).
        { filters: ['assigneeId'], sorts: [], unsorted: ({ assigneeId }) => tasksByAssignee.query({ assigneeId: assigneeId! }) },
        {
          filters: ['assigneeId', 'taskStatus'],
          sorts: [],
          indexed: {
            dueAt: ({ assigneeId, taskStatus }, { from, to }) =>
              tasksByAssignee.query({ assigneeId: assigneeId! }, { taskStatus: taskStatus!, ...(from ? { dueFrom: from } : {}), ...(to ? { dueTo: to } : {}) }),
          },
        },
      ],
    },
  },
  {
    createSchema: () =>
      z
        .partial(
          z.strictObject({ kind: z.enum(activityKinds), ...activityShape() }),
          Object.fromEntries(Object.keys(activityShape()).map((name) => [name, true])) as Record<keyof ReturnType<typeof activityShape>, true>,
        )
        .check(z.meta({ id: 'ActivityCreate' })),
    updateSchema: () => patchSchemaOf(activityShape(), ['occurredAt'], 'ActivityUpdate'),
    recordSchema: () =>
      serverRecordSchema('Activity', {
        kind: z.enum(activityKinds),
        ...Object.fromEntries(Object.entries(activityShape()).map(([name, schema]) => [name, z.optional(schema)])),
        occurredAt: z.string(),
        contactIds: z.array(z.string()),
        companyIds: z.array(z.string()),
        dealIds: z.array(z.string()),
      }),
    listQuerySchema: () =>
      listQuerySchemaOf(activityModel.lists, {
        kind: z.optional(z.enum(activityKinds)),
        companyId: z.optional(recordId).check(z.meta({ description: 'With kind: activities of this kind linked to the company.' })),
        contactId: z.optional(recordId).check(z.meta({ description: 'With kind: activities of this kind linked to the contact.' })),
        dealId: z.optional(recordId).check(z.meta({ description: 'With kind: activities of this kind linked to the deal.' })),
        assigneeId: z.optional(userId).check(z.meta({ description: 'Tasks assigned to this user, earliest due first.' })),
        taskStatus: z.optional(z.enum(['open', 'done'])).check(z.meta({ description: 'With assigneeId: only open or only done tasks.' })),
        externalId: externalIdLookup('activity'),
      }),
  },
);
