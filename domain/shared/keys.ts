import type { ItemKey, KeyQuery } from './table-port';
import type { RecordType } from '../records/record-model';

/**
 * Every key string of the CRM table is built here and nowhere else. Each access
 * pattern has a name, which docs/data-model.md lists with its key condition and index.
 *
 * Partition layout: a record and everything hanging off it share one partition
 * (`CONTACT#<id>`): the record item (sk RECORD), its timeline (sk TL#…) and the links
 * other records keep to it (sk LINK#…). One Query returns any of these collections.
 */
const RECORD_SK = 'RECORD';
/** Sorts after any ISO timestamp, closing open-ended ranges. */
const HIGH = '~';

const partition = (type: string, id: string) => `${type.toUpperCase()}#${id}`;
const listSortKey = (updatedAt: string, id: string) => `${updatedAt}#${id}`;

export const keys = {
  record: (type: RecordType | 'pipeline' | 'sequence', id: string): ItemKey => ({ pk: partition(type, id), sk: RECORD_SK }),

  /** Guard item that makes a normalized value (email, domain) unique across a type. */
  uniqueGuard: (type: RecordType, field: string, normalizedValue: string): ItemKey => ({
    pk: `UNIQUE#${type.toUpperCase()}#${field.toUpperCase()}#${normalizedValue}`,
    sk: 'UNIQUE',
  }),

  associationLink: (target: RecordType, targetId: string, source: RecordType, sourceId: string): ItemKey => ({
    pk: partition(target, targetId),
    sk: `LINK#${source}#${sourceId}`,
  }),

  timelineActivityLink: (target: RecordType, targetId: string, occurredAt: string, activityId: string): ItemKey => ({
    pk: partition(target, targetId),
    sk: `TL#${occurredAt}#activity#${activityId}`,
  }),

  timelineChange: (type: RecordType, id: string, at: string, changeId: string): ItemKey => ({
    pk: partition(type, id),
    sk: `TL#${at}#change#${changeId}`,
  }),

  propertyDefinition: (objectType: RecordType, name: string): ItemKey => ({ pk: `PROPDEF#${objectType}`, sk: `PROPDEF#${name}` }),

  /** Audit entries that do not live in a record's partition: deletions, pipeline and property changes. */
  auditEntry: (recordType: string, recordId: string, at: string, entryId: string): ItemKey => ({
    pk: `AUDIT#${recordType}#${recordId}`,
    sk: `${at}#${entryId}`,
  }),
  /** gsi2: every audit entry by who made it. */
  auditByActorIndex: (actorId: string, at: string, entryId: string) => ({ gsi2pk: `AUDIT#ACTOR#${actorId}`, gsi2sk: `${at}#${entryId}` }),
  /** gsi3: every audit entry of one record, pipeline or property. */
  auditByRecordIndex: (recordType: string, recordId: string, at: string, entryId: string) => ({
    gsi3pk: `AUDIT#RECORD#${recordType}#${recordId}`,
    gsi3sk: `${at}#${entryId}`,
  }),

  /** gsi1: every live record of a type, by last update. */
  typeListIndex: (type: RecordType | 'pipeline' | 'sequence', updatedAt: string, id: string) => ({
    gsi1pk: type.toUpperCase(),
    gsi1sk: listSortKey(updatedAt, id),
  }),
  /** An email the CRM sent (or is sending): its status and what SES reported back. */
  emailMessage: (messageId: string): ItemKey => ({ pk: `EMAIL#${messageId}`, sk: 'EMAIL' }),
  /** gsi2: a contact's emails, newest first. */
  emailsByContactIndex: (contactId: string, createdAt: string, messageId: string) => ({
    gsi2pk: `EMAIL#CONTACT#${contactId}`,
    gsi2sk: `${createdAt}#${messageId}`,
  }),
  /**
   * An address the CRM must not email (hard bounce, complaint, unsubscribe). Keyed by the
   * address, not a contact, so it outlives the contact and covers a re-created one.
   */
  emailSuppression: (normalizedEmail: string): ItemKey => ({ pk: `SUPPRESSION#${normalizedEmail}`, sk: 'SUPPRESSION' }),
  /** gsi1: the suppression list, newest first. */
  suppressionListIndex: (since: string, normalizedEmail: string) => ({ gsi1pk: 'SUPPRESSION', gsi1sk: `${since}#${normalizedEmail}` }),
  /** A contact's place in a follow-up sequence; one per contact and sequence, in the sequence's partition. */
  enrollment: (sequenceId: string, contactId: string): ItemKey => ({ pk: partition('sequence', sequenceId), sk: `ENROLLMENT#${contactId}` }),

  /** gsi2: records of a type by the user responsible (owner; for tasks, the assignee). */
  ownerIndex: (type: RecordType, ownerId: string, updatedAt: string, id: string) => ({
    gsi2pk: `${type.toUpperCase()}#OWNER#${ownerId}`,
    gsi2sk: listSortKey(updatedAt, id),
  }),
  /** gsi3: records of a type by one categorical facet (lifecycle stage, industry, activity kind). */
  facetIndex: (type: RecordType, facet: string, value: string, updatedAt: string, id: string) => ({
    gsi3pk: `${type.toUpperCase()}#${facet.toUpperCase()}#${value}`,
    gsi3sk: listSortKey(updatedAt, id),
  }),
  /** gsi4: tasks by assignee, open before done, each by due date (undated last): "my open tasks". */
  taskAssigneeIndex: (assigneeId: string, taskStatus: string, dueAt: string | undefined, id: string) => ({
    gsi4pk: `ACTIVITY#ASSIGNEE#${assigneeId}`,
    gsi4sk: `${taskStatus}#${dueAt ?? HIGH}#${id}`,
  }),
  /** gsi3 for deals: by pipeline, sorted by stage then update, so one partition also answers "by stage". */
  dealPipelineIndex: (pipelineId: string, stageId: string, updatedAt: string, id: string) => ({
    gsi3pk: `DEAL#PIPELINE#${pipelineId}`,
    gsi3sk: `${stageId}#${listSortKey(updatedAt, id)}`,
  }),
};

const updatedSinceRange = (prefix: string, updatedSince?: string) =>
  updatedSince
    ? ({ kind: 'between', from: `${prefix}${updatedSince}`, to: `${prefix}${HIGH}` } as const)
    : prefix
      ? ({ kind: 'beginsWith', prefix } as const)
      : undefined;

const withSortKey = (query: Omit<KeyQuery, 'sortKey'>, sortKey: KeyQuery['sortKey']): KeyQuery =>
  sortKey ? { ...query, sortKey } : query;

/** The named access patterns. Each returns the exact Query to run. */
export const accessPatterns = {
  recordsByType: (type: RecordType | 'pipeline' | 'sequence', updatedSince?: string): KeyQuery =>
    withSortKey({ pattern: 'recordsByType', index: 'gsi1', partitionKey: type.toUpperCase() }, updatedSinceRange('', updatedSince)),

  recordsByOwner: (type: RecordType, ownerId: string, updatedSince?: string): KeyQuery =>
    withSortKey(
      { pattern: 'recordsByOwner', index: 'gsi2', partitionKey: `${type.toUpperCase()}#OWNER#${ownerId}` },
      updatedSinceRange('', updatedSince),
    ),

  recordsByFacet: (type: RecordType, facet: string, value: string, updatedSince?: string): KeyQuery =>
    withSortKey(
      { pattern: 'recordsByFacet', index: 'gsi3', partitionKey: `${type.toUpperCase()}#${facet.toUpperCase()}#${value}` },
      updatedSinceRange('', updatedSince),
    ),

  dealsByPipeline: (pipelineId: string, stageId?: string, updatedSince?: string): KeyQuery =>
    withSortKey(
      { pattern: 'dealsByPipeline', index: 'gsi3', partitionKey: `DEAL#PIPELINE#${pipelineId}` },
      stageId ? updatedSinceRange(`${stageId}#`, updatedSince) : undefined,
    ),

  tasksByAssignee: (assigneeId: string, taskStatus?: string): KeyQuery => ({
    pattern: 'tasksByAssignee',
    index: 'gsi4',
    partitionKey: `ACTIVITY#ASSIGNEE#${assigneeId}`,
    ...(taskStatus ? { sortKey: { kind: 'beginsWith', prefix: `${taskStatus}#` } as const } : {}),
    ascending: true,
  }),

  /** Records of `source` type that reference the record (e.g. contacts of a company). */
  linkedRecords: (target: RecordType, targetId: string, source: RecordType): KeyQuery => ({
    pattern: 'linkedRecords',
    partitionKey: partition(target, targetId),
    sortKey: { kind: 'beginsWith', prefix: `LINK#${source}#` },
    ascending: true,
  }),

  timeline: (type: RecordType, id: string): KeyQuery => ({
    pattern: 'timeline',
    partitionKey: partition(type, id),
    sortKey: { kind: 'beginsWith', prefix: 'TL#' },
  }),

  /** Everything in a record's partition: what a delete must clean up. */
  recordPartition: (type: RecordType, id: string): KeyQuery => ({
    pattern: 'recordPartition',
    partitionKey: partition(type, id),
    ascending: true,
  }),

  emailsByContact: (contactId: string): KeyQuery => ({ pattern: 'emailsByContact', index: 'gsi2', partitionKey: `EMAIL#CONTACT#${contactId}` }),

  suppressions: (): KeyQuery => ({ pattern: 'suppressions', index: 'gsi1', partitionKey: 'SUPPRESSION' }),

  enrollmentsOfSequence: (sequenceId: string): KeyQuery => ({
    pattern: 'enrollmentsOfSequence',
    partitionKey: partition('sequence', sequenceId),
    sortKey: { kind: 'beginsWith', prefix: 'ENROLLMENT#' },
    ascending: true,
  }),

  auditByActor: (actorId: string): KeyQuery => ({ pattern: 'auditByActor', index: 'gsi2', partitionKey: `AUDIT#ACTOR#${actorId}` }),

  auditByRecord: (recordType: string, recordId: string): KeyQuery => ({
    pattern: 'auditByRecord',
    index: 'gsi3',
    partitionKey: `AUDIT#RECORD#${recordType}#${recordId}`,
  }),

  propertyDefinitions: (objectType: RecordType): KeyQuery => ({
    pattern: 'propertyDefinitions',
    partitionKey: `PROPDEF#${objectType}`,
    sortKey: { kind: 'beginsWith', prefix: 'PROPDEF#' },
    ascending: true,
  }),
};

/** Which data migrations ran on this table (migrations/), and the lock that keeps two runs apart. */
export const migrationKeys = {
  applied: (id: string): ItemKey => ({ pk: `MIGRATION#${id}`, sk: 'MIGRATION' }),
  lock: (): ItemKey => ({ pk: 'MIGRATION#LOCK', sk: 'MIGRATION' }),
};

/** A secret the deployment creates for itself on first use (the key that signs unsubscribe links). */
export const secretKey = (name: string): ItemKey => ({ pk: `SECRET#${name.toUpperCase()}`, sk: 'SECRET' });

/** Stored responses of requests sent with an Idempotency-Key (one partition per key). */
export const idempotencyRecordKey = (hashedKey: string): ItemKey => ({ pk: `IDEMPOTENCY#${hashedKey}`, sk: 'IDEMPOTENCY' });
