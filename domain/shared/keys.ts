import type { RecordType } from '../records/record-model';
import { beginsWith, between, defineIndex, HIGHEST, joinKey, shardedPartitionKey, shardOf } from './key-design';
import type { ItemKey, KeyQuery } from './table-port';

/**
 * Every key of the CRM table, each declared once: the keys an item is stored under, the
 * index attributes it carries, the Query of each named access pattern (docs/data-model.md
 * lists them all), and the parsers of keys that consumers read back. No key string is
 * assembled anywhere else (test/architecture.test.ts looks for prefixes outside this file).
 *
 * Partition layout: a record and everything hanging off it share one partition
 * (`CONTACT#<id>`): the record item (sk RECORD), its timeline (sk TL#…) and the links
 * other records keep to it (sk LINK#…). One Query returns any of these collections.
 */

/** Types whose items live in a `<TYPE>#<id>` partition with a RECORD item. */
export type PartitionedType = RecordType | 'pipeline' | 'sequence' | 'emailTemplate' | 'team' | 'workflow' | 'webhook';

const RECORD = 'RECORD';
const LINK = 'LINK';
const TIMELINE = 'TL';
const upper = (value: string) => value.toUpperCase();

/**
 * Shards per sharded list (key-design.ts), from the partition-heat model in `npm run bench`
 * (bench/partition-heat.ts): enough that the model's default workloads keep every partition
 * key under 80 % of DynamoDB's per-partition write limit. docs/data-model.md (Limits and
 * heat) explains each number.
 */
export const listShards = {
  recordsByType: { contact: 8, company: 8, deal: 8, activity: 8, pipeline: 1, sequence: 1, emailTemplate: 1, team: 1, workflow: 1, webhook: 1 } satisfies Record<PartitionedType, number>,
  recordsByOwner: 8,
  recordsByFacet: 8,
  dealsByPipeline: 8,
  auditByActor: 8,
  runsOfWorkflow: 8,
  deliveriesOfWebhook: 8,
  unmatchedInboundEmails: 1,
  openDeals: 8,
  recordsByDate: 8,
  suppressions: 1,
  searchTerms: 8,
  reportCounters: 8,
  listEntries: 8,
  duplicatePairs: 8,
};

// ---------------------------------------------------------------------------------------
// A record's partition: the record, its timeline and the links other records keep to it.

const recordPk = (type: PartitionedType, id: string) => joinKey(upper(type), id);

export const recordKeys = {
  record: (type: PartitionedType, id: string): ItemKey => ({ pk: recordPk(type, id), sk: RECORD }),
  /** The type and id a record partition key names (a stream consumer reads them from an image's pk). */
  parse(pk: string): { readonly type: PartitionedType; readonly id: string } {
    const separator = pk.indexOf('#');
    return { type: pk.slice(0, separator).toLowerCase() as PartitionedType, id: pk.slice(separator + 1) };
  },
  isRecord: (key: ItemKey) => key.sk === RECORD,

  /** Another record references this one (a contact's company, a deal's contacts). */
  associationLink: (target: RecordType, targetId: string, source: RecordType, sourceId: string): ItemKey => ({
    pk: recordPk(target, targetId),
    sk: joinKey(LINK, source, sourceId),
  }),
  /** An activity linked to this record; sorts into its timeline by when it happened. */
  timelineActivityLink: (target: RecordType, targetId: string, occurredAt: string, activityId: string): ItemKey => ({
    pk: recordPk(target, targetId),
    sk: joinKey(TIMELINE, occurredAt, 'activity', activityId),
  }),
  /** One change of the record (who, when, old → new); also its audit entry. */
  timelineChange: (type: RecordType, id: string, at: string, changeId: string): ItemKey => ({
    pk: recordPk(type, id),
    sk: joinKey(TIMELINE, at, 'change', changeId),
  }),
  /** The id of the record a link's sort key names (the contact of `LINK#contact#<id>`). */
  linkedIdOf: (sk: string) => sk.slice(sk.lastIndexOf('#') + 1),
  /** The change id a timeline change's sort key ends with. */
  changeIdOf: (sk: string) => sk.slice(sk.lastIndexOf('#') + 1),
};

export const recordQueries = {
  /** Records of `source` type that reference the record (e.g. contacts of a company). */
  linkedRecords: (target: RecordType, targetId: string, source: RecordType): KeyQuery => ({
    pattern: 'linkedRecords',
    partitionKey: recordPk(target, targetId),
    sortKey: beginsWith(joinKey(LINK, source, '')),
    ascending: true,
  }),
  timeline: (type: RecordType, id: string): KeyQuery => ({ pattern: 'timeline', partitionKey: recordPk(type, id), sortKey: beginsWith(joinKey(TIMELINE, '')) }),
  /** When a timeline entry happened: the time its sort key (`TL#<at>#…`) carries. */
  timelineTimeOf: (sk: string) => sk.split('#')[1]!,
  /** Everything in a record's partition: what a delete must clean up. */
  recordPartition: (type: RecordType, id: string): KeyQuery => ({ pattern: 'recordPartition', partitionKey: recordPk(type, id), ascending: true }),
};

/** Guard item that makes a normalized value (email, domain) unique across a type. */
export const uniqueGuardKey = (type: RecordType, field: string, normalizedValue: string): ItemKey => ({
  pk: joinKey('UNIQUE', upper(type), upper(field), normalizedValue),
  sk: 'UNIQUE',
});

// ---------------------------------------------------------------------------------------
// Lists of records (gsi1 to gsi4). Their sort keys end with the id, so no two items tie.

/** Where an item sorts in a list by time: its last update (pipelines and sequences: creation), then its id. */
export interface ListPosition {
  readonly at: string;
  readonly id: string;
}
/** A record's place in the lists sorted by last update. */
export const byLastUpdate = (record: { readonly updatedAt: string; readonly id: string }): ListPosition => ({ at: record.updatedAt, id: record.id });
/** Updated between two instants, either end open: the sort key starts with the update time. */
export interface UpdateRange {
  readonly updatedSince?: string;
  readonly updatedBefore?: string;
}
const updatedBetween = (prefix: string, { updatedSince, updatedBefore }: UpdateRange) => between(prefix, updatedSince, updatedBefore);
const byUpdate = {
  sort: ({ at, id }: ListPosition) => joinKey(at, id),
  shardBy: ({ id }: ListPosition) => id,
  range: (range: UpdateRange) => updatedBetween('', range),
};

/** gsi1: every live record of a type, by last update (pipelines and sequences: by creation). */
export const recordsByType = defineIndex({
  pattern: 'recordsByType',
  index: 'gsi1',
  partition: ({ type }: { readonly type: PartitionedType }) => [upper(type)],
  shards: ({ type }) => listShards.recordsByType[type],
  ...byUpdate,
});

/** gsi2: records of a type by the user responsible (owner). */
export const recordsByOwner = defineIndex({
  pattern: 'recordsByOwner',
  index: 'gsi2',
  partition: ({ type, ownerId }: { readonly type: RecordType; readonly ownerId: string }) => [upper(type), 'OWNER', ownerId],
  shards: () => listShards.recordsByOwner,
  ...byUpdate,
});

/** gsi3: records of a type by one categorical facet (lifecycle stage, industry, activity kind). */
export const recordsByFacet = defineIndex({
  pattern: 'recordsByFacet',
  index: 'gsi3',
  partition: ({ type, facet, value }: { readonly type: RecordType; readonly facet: string; readonly value: string }) => [upper(type), upper(facet), value],
  shards: () => listShards.recordsByFacet,
  ...byUpdate,
});

/** gsi3 for deals: by pipeline, sorted by stage then update, so one partition also answers "by stage". */
export const dealsByPipeline = defineIndex({
  pattern: 'dealsByPipeline',
  index: 'gsi3',
  partition: ({ pipelineId }: { readonly pipelineId: string }) => ['DEAL', 'PIPELINE', pipelineId],
  shards: () => listShards.dealsByPipeline,
  sort: ({ stageId, at, id }: ListPosition & { readonly stageId: string }) => joinKey(stageId, at, id),
  shardBy: ({ id }) => id,
  range: ({ stageId, ...updated }: { readonly stageId?: string } & UpdateRange) => (stageId ? (updatedBetween(joinKey(stageId, ''), updated) ?? beginsWith(joinKey(stageId, ''))) : undefined),
});

/** A task status as the first segment of its assignee list's sort key: open (`0open`) sorts before done (`1done`). */
const taskStatusSegment = (taskStatus: string) => `${taskStatus === 'open' ? 0 : 1}${taskStatus}`;
/** Whether a task's assignee sort key has the form `taskStatusSegment` gives (migration 0010 rewrites those written before). */
export const hasTaskStatusRank = (gsi4sk: unknown) => typeof gsi4sk === 'string' && /^\d/.test(gsi4sk);

/** gsi4: tasks by assignee, open before done, each by due date (undated last): "my open tasks". */
export const tasksByAssignee = defineIndex({
  pattern: 'tasksByAssignee',
  index: 'gsi4',
  partition: ({ assigneeId }: { readonly assigneeId: string }) => ['ACTIVITY', 'ASSIGNEE', assigneeId],
  shards: 1,
  sort: ({ taskStatus, dueAt, id }: { readonly taskStatus: string; readonly dueAt?: string; readonly id: string }) => joinKey(taskStatusSegment(taskStatus), dueAt ?? HIGHEST, id),
  shardBy: ({ id }) => id,
  range: ({ taskStatus, dueFrom, dueTo }: { readonly taskStatus?: string; readonly dueFrom?: string; readonly dueTo?: string }) => {
    if (!taskStatus) return undefined;
    const group = joinKey(taskStatusSegment(taskStatus), '');
    return between(group, dueFrom, dueTo) ?? beginsWith(group);
  },
  ascending: true,
});

/**
 * gsi4 for deals: open deals by last update, where the daily search for stale deals starts
 * (sparse: a won or lost deal leaves it), so that search reads open deals, never all deals.
 */
export const openDealsByUpdate = defineIndex({
  pattern: 'openDealsByUpdate',
  index: 'gsi4',
  partition: () => ['DEAL', 'OPEN'],
  shards: () => listShards.openDeals,
  sort: byUpdate.sort,
  shardBy: byUpdate.shardBy,
  range: ({ updatedBefore }: { readonly updatedBefore: string }) => ({ kind: 'between', from: '0', to: updatedBefore }),
  ascending: true,
});

/**
 * gsi5: open deals by expected close date, open tasks by due time (sparse: a closed deal or
 * a done task leaves it): what a scheduled workflow "N days before/after" a date reads.
 * The sort key starts with the field's value, a date (`2026-12-03`) or an instant.
 */
export const recordsByDate = defineIndex({
  pattern: 'recordsByDate',
  index: 'gsi5',
  partition: ({ type, field }: { readonly type: RecordType; readonly field: string }) => [upper(type), 'DATE', field],
  shards: () => listShards.recordsByDate,
  sort: ({ value, id }: { readonly value: string; readonly id: string }) => joinKey(value, id),
  shardBy: ({ id }) => id,
  range: ({ from, to }: { readonly from: string; readonly to: string }) => between('', from, to),
  ascending: true,
});

// ---------------------------------------------------------------------------------------
// Search: each search term of a record (domain/search/search-terms.ts) is an item in the
// record's partition, listed in gsi1 under the term's first two characters.

const SEARCH = 'SEARCH';
/** A term's spaces as dots, which sort after the `#` that ends it: a term's exact matches come before its longer ones. */
const termSortForm = (term: string) => term.replaceAll(' ', '.');
/** Characters of a term that pick its list: spreads an import's terms over many partition keys, and a query of two or more reads one. */
const TERM_BUCKET_LENGTH = 2;

export const searchTermKey = (type: RecordType, id: string, kind: string, term: string): ItemKey => ({ pk: recordPk(type, id), sk: joinKey(SEARCH, upper(kind), termSortForm(term)) });
/** Every search term item of a record: what its sort keys start with. */
export const searchTermPrefix = joinKey(SEARCH, '');

/** gsi1: search terms of a record type and kind by their first characters, each list by term then record id. */
export const searchTerms = defineIndex({
  pattern: 'searchRecords',
  index: 'gsi1',
  partition: ({ type, kind, term }: { readonly type: RecordType; readonly kind: string; readonly term: string }) => [SEARCH, upper(type), upper(kind), [...termSortForm(term)].slice(0, TERM_BUCKET_LENGTH).join('')],
  shards: () => listShards.searchTerms,
  sort: ({ term, id }: { readonly term: string; readonly id: string }) => joinKey(termSortForm(term), id),
  shardBy: ({ id }) => id,
  range: ({ prefix }: { readonly prefix: string }) => beginsWith(termSortForm(prefix)),
  ascending: true,
  // `SEARCH#S<n>#<TYPE>#<KIND>#<bucket>` and `<term>#<id>` say the item's keys: the record's partition, the term's sort key.
  tableKeysAt: (partitionKey, sortValue) => {
    const [, , type, kind] = partitionKey.split('#') as [string, string, string, string];
    const separator = sortValue.lastIndexOf('#');
    return { pk: joinKey(type, sortValue.slice(separator + 1)), sk: joinKey(SEARCH, kind, sortValue.slice(0, separator)) };
  },
});

// ---------------------------------------------------------------------------------------
// Lists by combined filters and sort orders (domain/records/list-views.ts): each view of a
// record type a record belongs to, per sort order, is an entry item in the record's
// partition, listed in gsi1 under the view's filter values and sorted by the sort field.

const LIST = 'LIST';
/** Filter values may be free text (tags, custom property values): encoded, a `#` in one cannot split a key. */
const valueSegment = (value: string) => encodeURIComponent(value);

/** One list of a view: a record type, the filters it is cut by (`ownerId+lifecycleStage`), their values, and the sort field. */
export interface ListEntryPartition {
  readonly type: RecordType;
  readonly view: string;
  readonly sort: string;
  readonly values: readonly string[];
}
/** Where a sort-field range starts and ends in a list's sort keys (order-preserving text, list-views.ts). */
export interface SortRange {
  readonly from?: string;
  readonly to?: string;
}

export const listEntryKey = (list: ListEntryPartition, id: string): ItemKey => ({ pk: recordPk(list.type, id), sk: joinKey(LIST, list.view, list.sort, ...list.values.map(valueSegment)) });
/** Every list entry of a record: what their sort keys start with. */
export const listEntryPrefix = joinKey(LIST, '');

/** gsi1: the records of one list of a view, by the sort field's value (order-preserving text), then id. */
export const listEntries = defineIndex({
  pattern: 'recordsByView',
  index: 'gsi1',
  partition: ({ type, view, sort, values }: ListEntryPartition) => [LIST, upper(type), view, sort, ...values.map(valueSegment)],
  shards: () => listShards.listEntries,
  sort: ({ value, id }: { readonly value: string; readonly id: string }) => joinKey(value, id),
  shardBy: ({ id }) => id,
  range: ({ from, to }: SortRange) => between('', from, to),
  // `LIST#S<n>#<TYPE>#<view>#<sort>#<values>` and `<value>#<id>` say the entry's keys: the record's partition, the list's sort key.
  tableKeysAt: (partitionKey, sortValue) => {
    const [, , type, ...list] = partitionKey.split('#') as [string, string, string, ...string[]];
    return { pk: joinKey(type, sortValue.slice(sortValue.lastIndexOf('#') + 1)), sk: joinKey(LIST, ...list) };
  },
});

// ---------------------------------------------------------------------------------------
// Reports: counters that the report keeper adds each record's share to, and the share each
// record last added (domain/reports/).

const REPORT = 'REPORT';

/**
 * One counter of a report (`REPORT#S3#PIPELINE#<pipeline id>` / `<stage>#<owner>`), in the shard
 * of the record that adds to it: the record always adds to and takes from the same item.
 */
export const reportCounterKey = (report: string, scope: readonly string[], bucket: string, recordId: string): ItemKey => ({
  pk: shardedPartitionKey([REPORT, report, ...scope], shardOf(recordId, listShards.reportCounters), listShards.reportCounters),
  sk: bucket,
});

/** A report's counters under one scope, one Query per shard (the reader sums them): buckets between `from` and `to`, or all. */
export const reportCounterQueries = (report: string, scope: readonly string[], range?: { readonly from: string; readonly to: string }): KeyQuery[] =>
  Array.from({ length: listShards.reportCounters }, (_, shard) => ({
    pattern: 'reportCounters',
    partitionKey: shardedPartitionKey([REPORT, report, ...scope], shard, listShards.reportCounters),
    ...(range ? { sortKey: between('', range.from, range.to)! } : {}),
    ascending: true,
  }));

/** What one record last added to the report counters, at which version: its partition is its own, so the sweep of a deletion leaves it. */
export const reportShareKey = (type: RecordType | 'email', id: string): ItemKey => ({ pk: joinKey('REPORTSHARE', upper(type), id), sk: 'SHARE' });

/** What every counter and share key starts with: what a rebuild from scratch deletes. */
export const reportItemPrefixes = [joinKey(REPORT, ''), joinKey('REPORTSHARE', '')] as const;

/** The deployment's reporting currency and exchange rates. */
export const reportSettingsKey: ItemKey = { pk: 'REPORTSETTINGS', sk: 'SETTINGS' };

// ---------------------------------------------------------------------------------------
// Custom property definitions: one partition per record type.

const PROPDEF = 'PROPDEF';
export const propertyDefinitionKeys = {
  definition: (objectType: RecordType, name: string): ItemKey => ({ pk: joinKey(PROPDEF, objectType), sk: joinKey(PROPDEF, name) }),
  /** Every definition of a type, by name. */
  definitionsOf: (objectType: RecordType): KeyQuery => ({
    pattern: 'propertyDefinitions',
    partitionKey: joinKey(PROPDEF, objectType),
    sortKey: beginsWith(joinKey(PROPDEF, '')),
    ascending: true,
  }),
};

// ---------------------------------------------------------------------------------------
// Audit entries: in a record's timeline (timelineChange) or, for what has none, on their own.

/** The record, pipeline, property, … an audit entry is about, and when and by which entry. */
interface AuditPosition {
  readonly at: string;
  readonly entryId: string;
}
const byAuditTime = {
  sort: ({ at, entryId }: AuditPosition) => joinKey(at, entryId),
  shardBy: ({ entryId }: AuditPosition) => entryId,
};

export const auditEntryKey = (recordType: string, recordId: string, at: string, entryId: string): ItemKey => ({
  pk: joinKey('AUDIT', recordType, recordId),
  sk: joinKey(at, entryId),
});

/** An export of records to a file (domain/exports): its filters, progress and file. */
export const exportJobKey = (id: string): ItemKey => ({ pk: joinKey('EXPORT', id), sk: 'EXPORT' });

/** An import of a CSV file (domain/imports): its mapping, progress and counts. */
export const importJobKey = (id: string): ItemKey => ({ pk: joinKey('IMPORT', id), sk: 'IMPORT' });
/** gsi1: the imports one user created, newest first (one partition per user: a person makes few). */
export const importsByAuthor = defineIndex({
  pattern: 'importsByAuthor',
  index: 'gsi1',
  partition: ({ userId }: { readonly userId: string }) => ['IMPORT', 'BY', userId],
  shards: 1,
  sort: ({ createdAt, id }: { readonly createdAt: string; readonly id: string }) => joinKey(createdAt, id),
  shardBy: ({ id }) => id,
});
/**
 * A row an import could not write, in a partition of its range (ranges written side by side
 * never share one: a file of bad rows would otherwise pour into one partition at several
 * ranges' speed), by line (zero-padded, so in file order).
 */
export const importFailureKey = (importId: string, range: number, line: number): ItemKey => ({ pk: joinKey('IMPORT', importId, 'FAILED', String(range)), sk: joinKey('FAILED', String(line).padStart(12, '0')) });
/** One range of an import's file (rows between two boundaries the split found): where its reading got, and its counts. */
export const importRangeKey = (importId: string, index: number): ItemKey => ({ pk: joinKey('IMPORT', importId), sk: joinKey('RANGE', String(index).padStart(6, '0')) });
export const importQueries = {
  ranges: (importId: string): KeyQuery => ({ pattern: 'importRanges', partitionKey: joinKey('IMPORT', importId), sortKey: { kind: 'beginsWith', prefix: joinKey('RANGE', '') }, ascending: true }),
  /** From line `fromLine` on (a retried step's lines). */
  failures: (importId: string, range: number, fromLine = 0): KeyQuery => ({
    pattern: 'importFailures',
    partitionKey: joinKey('IMPORT', importId, 'FAILED', String(range)),
    sortKey: { kind: 'between', from: joinKey('FAILED', String(fromLine).padStart(12, '0')), to: joinKey('FAILED', '9'.repeat(12)) },
    ascending: true,
  }),
};

/** Every audit entry about one record, in its own partition: read strongly consistent, oldest first. */
export const auditQueries = {
  ofRecord: (recordType: string, recordId: string): KeyQuery => ({ pattern: 'auditOfRecord', partitionKey: joinKey('AUDIT', recordType, recordId), ascending: true }),
};

/** gsi2: every audit entry by who made it. */
export const auditByActor = defineIndex({
  pattern: 'auditByActor',
  index: 'gsi2',
  partition: ({ actorId }: { readonly actorId: string }) => ['AUDIT', 'ACTOR', actorId],
  shards: () => listShards.auditByActor,
  ...byAuditTime,
});

/** gsi3: every audit entry of one record, pipeline or property. */
export const auditByRecord = defineIndex({
  pattern: 'auditByRecord',
  index: 'gsi3',
  partition: ({ recordType, recordId }: { readonly recordType: string; readonly recordId: string }) => ['AUDIT', 'RECORD', recordType, recordId],
  shards: 1,
  ...byAuditTime,
});

// ---------------------------------------------------------------------------------------
// Email: sent messages, the suppression list, the unsubscribe signing secret.

const EMAIL = 'EMAIL';
const SUPPRESSION = 'SUPPRESSION';
const SECRET = 'SECRET';

/** An email the CRM sent (or is sending): its status and what SES reported back. */
export const emailMessageKey = (messageId: string): ItemKey => ({ pk: joinKey(EMAIL, messageId), sk: EMAIL });

/** gsi2: a contact's emails, newest first. */
export const emailsByContact = defineIndex({
  pattern: 'emailsByContact',
  index: 'gsi2',
  partition: ({ contactId }: { readonly contactId: string }) => [EMAIL, 'CONTACT', contactId],
  shards: 1,
  sort: ({ createdAt, messageId }: { readonly createdAt: string; readonly messageId: string }) => joinKey(createdAt, messageId),
  shardBy: ({ messageId }) => messageId,
});

/**
 * gsi3: an email by the id SES gave it (its Message-ID is `<that id>@<region>.amazonses.com`):
 * what a reply's In-Reply-To and References name. Only sent emails carry these attributes.
 */
export const emailByProviderId = defineIndex({
  pattern: 'emailByProviderId',
  index: 'gsi3',
  partition: ({ providerMessageId }: { readonly providerMessageId: string }) => [EMAIL, 'PROVIDER', providerMessageId],
  shards: 1,
  sort: ({ messageId }: { readonly messageId: string }) => messageId,
  shardBy: ({ messageId }) => messageId,
});

/**
 * An address the CRM must not email (hard bounce, complaint, unsubscribe). Keyed by the
 * address, not a contact, so it outlives the contact and covers a re-created one.
 */
export const emailSuppressionKey = (normalizedEmail: string): ItemKey => ({ pk: joinKey(SUPPRESSION, normalizedEmail), sk: SUPPRESSION });

/** gsi1: the suppression list, newest first. */
export const suppressions = defineIndex({
  pattern: 'suppressions',
  index: 'gsi1',
  partition: () => [SUPPRESSION],
  shards: () => listShards.suppressions,
  sort: ({ since: suppressedSince, email }: { readonly since: string; readonly email: string }) => joinKey(suppressedSince, email),
  shardBy: ({ email }) => email,
});

/** A secret the deployment creates for itself on first use (the key that signs unsubscribe links). */
export const secretKey = (name: string): ItemKey => ({ pk: joinKey(SECRET, upper(name)), sk: SECRET });

/**
 * The partitions the public unsubscribe function may touch, as IAM `dynamodb:LeadingKeys`
 * patterns (infra/constructs/crm-table.ts): its signing secret, email messages, suppressions.
 */
export const unsubscribeLeadingKeys = [secretKey('unsubscribe').pk, joinKey(EMAIL, '*'), joinKey(SUPPRESSION, '*')] as const;

// ---------------------------------------------------------------------------------------
// Follow-up sequences: a contact's place in one lives in the sequence's partition.

const ENROLLMENT = 'ENROLLMENT';
export const enrollmentKeys = {
  enrollment: (sequenceId: string, contactId: string): ItemKey => ({ pk: recordPk('sequence', sequenceId), sk: joinKey(ENROLLMENT, contactId) }),
  /** A sequence's enrollments, by contact id. */
  ofSequence: (sequenceId: string): KeyQuery => ({
    pattern: 'enrollmentsOfSequence',
    partitionKey: recordPk('sequence', sequenceId),
    sortKey: beginsWith(joinKey(ENROLLMENT, '')),
    ascending: true,
  }),
};

/**
 * gsi2: a contact's enrollments, one per sequence they were ever in: what stops when the
 * contact books a meeting, or a deal they are on is won or lost.
 */
export const enrollmentsByContact = defineIndex({
  pattern: 'enrollmentsByContact',
  index: 'gsi2',
  partition: ({ contactId }: { readonly contactId: string }) => [ENROLLMENT, 'CONTACT', contactId],
  shards: 1,
  sort: ({ sequenceId }: { readonly sequenceId: string }) => sequenceId,
  shardBy: ({ sequenceId }) => sequenceId,
  ascending: true,
});

// ---------------------------------------------------------------------------------------
// Workflows: the workflow in its record partition, each run in a partition of its own.

const WORKFLOW_RUN = 'WORKFLOWRUN';

/**
 * gsi3: the enabled workflows an event type triggers, by id: what the workflow trigger
 * reads for every event. Only enabled workflows carry these attributes.
 */
export const workflowsByTrigger = defineIndex({
  pattern: 'workflowsByTrigger',
  index: 'gsi3',
  partition: ({ eventType }: { readonly eventType: string }) => ['WORKFLOW', 'TRIGGER', eventType],
  shards: 1,
  sort: ({ id }: { readonly id: string }) => id,
  shardBy: ({ id }) => id,
  ascending: true,
});

/** One run of a workflow, alone in its partition: a busy workflow's runs spread over many keys. */
export const workflowRunKey = (runId: string): ItemKey => ({ pk: joinKey(WORKFLOW_RUN, runId), sk: 'RUN' });

/** gsi1: a workflow's runs, newest first. */
export const runsOfWorkflow = defineIndex({
  pattern: 'runsOfWorkflow',
  index: 'gsi1',
  partition: ({ workflowId }: { readonly workflowId: string }) => [WORKFLOW_RUN, workflowId],
  shards: () => listShards.runsOfWorkflow,
  sort: ({ startedAt, runId }: { readonly startedAt: string; readonly runId: string }) => joinKey(startedAt, runId),
  shardBy: ({ runId }) => runId,
});

/**
 * That a scheduled workflow fired for a period (its local date): later ticks of the same
 * period skip it. Expires (TTL) once the period is long past.
 */
export const workflowPeriodKey = (workflowId: string, period: string): ItemKey => ({ pk: recordPk('workflow', workflowId), sk: joinKey('FIRED', period) });

/** A team's round-robin counter (in the team's partition): each assignment takes the next ticket. */
export const roundRobinKey = (teamId: string): ItemKey => ({ pk: recordPk('team', teamId), sk: 'ROUNDROBIN' });

// ---------------------------------------------------------------------------------------
// Webhooks: each endpoint in its record partition, each delivery in a partition of its own.

const WEBHOOK_DELIVERY = 'WEBHOOKDELIVERY';

/** One delivery of one event to one endpoint (its id sorts by the event's time): a busy endpoint's deliveries spread over many keys. */
export const webhookDeliveryKey = (webhookId: string, deliveryId: string): ItemKey => ({ pk: joinKey(WEBHOOK_DELIVERY, webhookId, deliveryId), sk: 'DELIVERY' });

/** gsi1: an endpoint's deliveries by the time of their event, newest first; a replay reads a range of it. */
export const deliveriesOfWebhook = defineIndex({
  pattern: 'deliveriesOfWebhook',
  index: 'gsi1',
  partition: ({ webhookId }: { readonly webhookId: string }) => [WEBHOOK_DELIVERY, webhookId],
  shards: () => listShards.deliveriesOfWebhook,
  sort: ({ deliveryId }: { readonly deliveryId: string }) => deliveryId,
  shardBy: ({ deliveryId }) => deliveryId,
  range: ({ from, to }: { readonly from: string; readonly to: string }) => between('', from, to),
});

// ---------------------------------------------------------------------------------------
// Inbound email: per-user logging addresses, and mail from senders no contact has.

const INBOUND_ADDRESS = 'INBOUNDADDRESS';
const INBOUND_EMAIL = 'INBOUNDEMAIL';
export const inboundAddressKeys = {
  /** Whose logging address a token is (the part after `log-` in `log-<token>@<inbound domain>`). */
  byToken: (token: string): ItemKey => ({ pk: joinKey(INBOUND_ADDRESS, token), sk: INBOUND_ADDRESS }),
  /** A user's current token, in their owner partition. */
  ofUser: (userId: string): ItemKey => ({ pk: joinKey('OWNER', userId), sk: INBOUND_ADDRESS }),
};

/** A message from a sender no contact has, kept for review (not made a contact); expires (TTL). */
export const unmatchedInboundKey = (id: string): ItemKey => ({ pk: joinKey(INBOUND_EMAIL, id), sk: 'UNMATCHED' });

/** gsi1: mail from unknown senders, newest first. */
export const unmatchedInboundEmails = defineIndex({
  pattern: 'unmatchedInboundEmails',
  index: 'gsi1',
  partition: () => [INBOUND_EMAIL, 'UNMATCHED'],
  shards: () => listShards.unmatchedInboundEmails,
  sort: ({ receivedAt, id }: { readonly receivedAt: string; readonly id: string }) => joinKey(receivedAt, id),
  shardBy: ({ id }) => id,
});

// ---------------------------------------------------------------------------------------
// Owners: the users who can own records.

const OWNER = 'OWNER';
export const ownerKey = (userId: string): ItemKey => ({ pk: joinKey(OWNER, userId), sk: OWNER });

/** gsi1: every owner, by id. */
export const owners = defineIndex({
  pattern: 'owners',
  index: 'gsi1',
  partition: () => [OWNER],
  shards: 1,
  sort: ({ id }: { readonly id: string }) => id,
  shardBy: ({ id }) => id,
  ascending: true,
});

// ---------------------------------------------------------------------------------------
// Duplicate candidates: records that share a match key (domain/duplicates/), and the pairs they make.

const DUPLICATE_KEY = 'DUPKEY';
const DUPLICATE_PAIR = 'DUPPAIR';
export const duplicateKeys = {
  /** One record's membership of the group of records that share a match key (a phone number, a name at a company). */
  member: (type: RecordType, reason: string, value: string, recordId: string): ItemKey => ({
    pk: joinKey(DUPLICATE_KEY, upper(type), reason, encodeURIComponent(value)),
    sk: recordId,
  }),
  /** The records that share a match key, by id: read strongly consistent, so of two records joining a group at once, at least one sees the other. */
  group: (type: RecordType, reason: string, value: string): KeyQuery => ({
    pattern: 'duplicateGroup',
    partitionKey: joinKey(DUPLICATE_KEY, upper(type), reason, encodeURIComponent(value)),
    ascending: true,
  }),
  /** Two records that may be one, lower id first: one partition per pair. */
  pair: (type: RecordType, lowerId: string, higherId: string): ItemKey => ({ pk: joinKey(DUPLICATE_PAIR, upper(type), lowerId, higherId), sk: 'PAIR' }),
};

/** gsi1: the candidate pairs of a type that are not dismissed, newest first. */
export const duplicatePairs = defineIndex({
  pattern: 'duplicatePairs',
  index: 'gsi1',
  partition: ({ type }: { readonly type: RecordType }) => ['DUPLICATES', upper(type)],
  shards: () => listShards.duplicatePairs,
  sort: ({ detectedAt, pairId }: { readonly detectedAt: string; readonly pairId: string }) => joinKey(detectedAt, pairId),
  shardBy: ({ pairId }) => pairId,
});

// ---------------------------------------------------------------------------------------
// The daily task digest: one partition per day.

const DIGEST = 'DIGEST';
export const digestKeys = {
  /** That one user's digest of a day was claimed for sending: sent at most once. */
  sent: (period: string, userId: string): ItemKey => ({ pk: joinKey(DIGEST, period), sk: joinKey('SENT', userId) }),
};

// ---------------------------------------------------------------------------------------
// Bookkeeping.

/** Which data migrations ran on this table (migrations/), and the lock that keeps two runs apart. */
export const migrationKeys = {
  applied: (id: string): ItemKey => ({ pk: joinKey('MIGRATION', id), sk: 'MIGRATION' }),
  lock: (): ItemKey => ({ pk: joinKey('MIGRATION', 'LOCK'), sk: 'MIGRATION' }),
};

/** Stored responses of requests sent with an Idempotency-Key (one partition per key). */
export const idempotencyRecordKey = (hashedKey: string): ItemKey => ({ pk: joinKey('IDEMPOTENCY', hashedKey), sk: 'IDEMPOTENCY' });
