import * as z from '../../../domain/shared/zod';
import { activityModel } from '../../../domain/records/activity';
import { MAX_BATCH_INPUTS } from '../../../domain/records/batch-write-records';
import type { RecordModel, RecordType } from '../../../domain/records/record-model';
import { operation } from '../api-operation';
import { once } from '../../../domain/shared/built-on-first-use';
import { problemSchemas } from '../problem-schemas';
import { exampleId, idParams, pageOf, pageQuery } from './common';
import { recordId } from '../../../domain/shared/common-fields';
import { isMergeable } from '../../../domain/records/merge-records';
import { duplicateReasons } from '../../../domain/duplicates/match-keys';

export const timelineEntry = once(() =>
  z
    .object({
      kind: z.enum(['created', 'updated', 'merged', 'activity']).check(z.meta({ description: '`merged`: another record was merged into this one (`mergedFrom`).' })),
      at: z.string(),
      actor: z.optional(z.object({ type: z.string(), id: z.string() })).check(z.meta({ description: 'Who made the change (created, updated).' })),
      changes: z.optional(z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() }))).check(z.meta({ description: 'Old and new value of each field (created, updated).' })),
      activity: z.optional(activityModel.recordSchema).check(z.meta({ description: 'The linked activity (activity).' })),
      mergedFrom: z.optional(z.string()).check(z.meta({ description: 'The record merged into this one: the change was made to it (created, updated) or is the merge (merged).' })),
    })
    .check(z.meta({ id: 'TimelineEntry' })),
);
const timelinePage = once(() => pageOf(timelineEntry(), 'TimelinePage'));
const deletionInProgress = once(() =>
  z
    .object({ id: z.string(), status: z.literal('deleting'), detail: z.string() })
    .check(z.meta({ id: 'DeletionInProgress', description: 'The record is gone; links to it are removed in the background.' })),
);

const mergedRecord = once(() =>
  z
    .object({ id: z.string(), mergedInto: z.string(), detail: z.string() })
    .check(z.meta({ id: 'MergedRecord', description: 'The record was merged into another: `Location` (and `mergedInto`) is the survivor.' })),
);

/** What a client would send, per type: shown in the reference and checked against the schemas by the tests. */
export const recordExamples: Record<RecordType, { readonly create: Record<string, unknown>; readonly update: Record<string, unknown> }> = {
  contact: { create: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', title: 'CTO', lifecycleStage: 'lead' }, update: { lifecycleStage: 'customer' } },
  company: { create: { name: 'Acme', domain: 'acme.example', industry: 'Manufacturing', size: '51-200' }, update: { size: '201-500' } },
  deal: { create: { name: 'Acme renewal', amount: 12000, currency: 'USD', companyId: exampleId(1), contactIds: [exampleId(2)] }, update: { stageId: 'contract_sent' } },
  activity: {
    create: { kind: 'task', subject: 'Send the proposal', dueAt: '2026-12-01T09:00:00Z', assigneeId: 'user-1', contactIds: [exampleId(2)] },
    update: { taskStatus: 'done' },
  },
};

const titleCase = (word: string) => word[0]!.toUpperCase() + word.slice(1);
/** "an activity", "a contact". */
const aOrAn = (noun: string) => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;

/** The seven operations every record type has, by what they do. */
export function recordOperations(model: RecordModel) {
  const base = `/v1/${model.collection}`;
  const Name = titleCase(model.type);
  const Names = titleCase(model.collection);
  const example = recordExamples[model.type];
  const batchResult = once(() =>
    z
      .object({
        results: z.array(
          z.object({
            index: z.int().check(z.meta({ description: 'Position of the input.' })),
            status: z.int().check(z.meta({ description: '201 created, 200 updated (upsert), or the status of the problem.' })),
            record: z.optional(model.recordSchema).check(z.meta({ description: 'The record as stored, for 200 and 201.' })),
            error: z.optional(problemSchemas().problem).check(z.meta({ description: 'What went wrong with this input; its errors name the input (`inputs.3.email`).' })),
          }),
        ),
      })
      .check(z.meta({ id: `${Name}BatchResult` })),
  );
  const recordPage = once(() => pageOf(model.recordSchema, `${Name}Page`));
  const batchInput = once(() =>
    z
      .strictObject({ inputs: z.array(z.unknown()).check(z.minLength(1), z.maxLength(MAX_BATCH_INPUTS), z.meta({ description: `Each as for POST ${base}; checked one by one.` })) })
      .check(z.meta({ id: `${Name}BatchInput` })),
  );
  // Schemas are declared as functions, so a request builds only its own operation's (built-on-first-use.ts).
  return {
    create: operation({
      routeKey: `POST ${base}`,
      operationId: `create${Name}`,
      summary: `Create ${aOrAn(model.type)}`,
      tag: Names,
      body: () => model.createSchema,
      bodyExample: example.create,
      success: { status: 201, description: 'Created, with its ETag and Location', schema: () => model.recordSchema, location: true, etag: true },
      idempotent: true,
    }),
    list: operation({
      routeKey: `GET ${base}`,
      operationId: `list${Names}`,
      summary: `List ${model.collection}: filter, sort and page`,
      description: [
        'Latest change first unless `sort` says otherwise. Filters combine as the type offers them (each combination is served by one index; one that is not is a 400 listing those that are).',
        'A range `<field>.gte` / `<field>.lte` sorts the list by that field.',
        'Custom properties marked `filterable` are filtered as `properties.<name>=<value>`, and number and date ones by `properties.<name>.gte` / `.lte` (and sorted by `sort=properties.<name>`).',
      ].join(' '),
      tag: Names,
      query: () => model.listQuerySchema,
      success: { status: 200, description: 'One page', schema: recordPage },
    }),
    batchCreate: operation({
      routeKey: `POST ${base}/batch`,
      operationId: `batchCreate${Names}`,
      summary: model.uniqueFields[0] ? `Create or update up to ${MAX_BATCH_INPUTS} ${model.collection}, matched by ${model.uniqueFields[0].field}` : `Create up to ${MAX_BATCH_INPUTS} ${model.collection}`,
      tag: Names,
      body: batchInput,
      bodyExample: { inputs: [example.create] },
      success: { status: 200, description: 'Every input succeeded', schema: batchResult },
      otherResponses: [{ status: 207, description: 'Some inputs failed: each result has its own status', schema: batchResult }],
      idempotent: true,
    }),
    get: operation({
      routeKey: `GET ${base}/{id}`,
      operationId: `get${Name}`,
      summary: `Get ${aOrAn(model.type)}`,
      tag: Names,
      pathParams: idParams,
      success: { status: 200, description: 'The record, with its ETag', schema: () => model.recordSchema, etag: true },
      ...(isMergeable(model) ? { otherResponses: [{ status: 308, description: 'Merged into another record: Location is the survivor', schema: mergedRecord, headers: { location: 'The survivor: where this record now is.' } }] } : {}),
    }),
    update: operation({
      routeKey: `PATCH ${base}/{id}`,
      operationId: `update${Name}`,
      summary: `Change fields of ${aOrAn(model.type)}`,
      tag: Names,
      pathParams: idParams,
      body: () => model.updateSchema,
      bodyExample: example.update,
      success: { status: 200, description: 'Updated, with its new ETag', schema: () => model.recordSchema, etag: true },
      conditional: true,
    }),
    remove: operation({
      routeKey: `DELETE ${base}/{id}`,
      operationId: `delete${Name}`,
      summary: `Delete ${aOrAn(model.type)} and what hangs off it`,
      tag: Names,
      pathParams: idParams,
      success: { status: 204, description: 'Deleted, with everything that hung off it' },
      otherResponses: [{ status: 202, description: 'Deleted; links to it are still being removed in the background', schema: deletionInProgress }],
      conditional: true,
    }),
    timeline: operation({
      routeKey: `GET ${base}/{id}/timeline`,
      operationId: `get${Name}Timeline`,
      summary: `History of ${aOrAn(model.type)}: changes and linked activities, newest first`,
      tag: Names,
      pathParams: idParams,
      query: pageQuery,
      success: { status: 200, description: 'One page', schema: timelinePage },
    }),
  };
}

export type RecordOperations = ReturnType<typeof recordOperations>;

/** Duplicates of a type that has them (contacts, companies): the candidates (domain/duplicates/) and merging (merge-records.ts). */
export function duplicateOperations(model: RecordModel) {
  const base = `/v1/${model.collection}`;
  const Name = titleCase(model.type);
  const Names = titleCase(model.collection);
  const mergeInput = once(() =>
    z
      .strictObject({
        mergedId: recordId.check(z.meta({ description: `The ${model.type} merged away.` })),
        takeFromMerged: z
          .optional(z.array(z.string().check(z.minLength(1), z.maxLength(200))).check(z.maxLength(100)))
          .check(z.meta({ description: 'Fields (or `properties.<name>`) whose merged-record value wins. Otherwise the survivor keeps its values, takes the merged record\'s where it has none, and joins lists.' })),
      })
      .check(z.meta({ id: `${Name}Merge` })),
  );
  const candidate = once(() =>
    z
      .object({
        recordIds: z.array(z.string()).check(z.meta({ description: 'The two records, lower id first.' })),
        reasons: z
          .array(z.enum(duplicateReasons))
          .check(
            z.meta({
              description:
                'Why they may be one: `nameAtCompany` (same name at the same company), `phone` (same phone digits), `emailNameAtCompany` (same address before the @ on different domains, at the same company), `companyName` (same company name, one of them without a domain).',
            }),
          ),
        detectedAt: z.string(),
        records: z.array(model.recordSchema).check(z.meta({ description: 'Both records as they are now, in the order of recordIds.' })),
      })
      .check(z.meta({ id: `${Name}DuplicateCandidate` })),
  );
  const dismissInput = once(() =>
    z.strictObject({ recordIds: z.array(recordId).check(z.minLength(2), z.maxLength(2)) }).check(z.meta({ id: `${Name}DuplicateDismissal` })),
  );
  const dismissedPair = once(() =>
    z
      .object({
        recordType: z.string(),
        recordIds: z.array(z.string()),
        reasons: z.array(z.enum(duplicateReasons)),
        detectedAt: z.string(),
        updatedAt: z.string(),
        version: z.int(),
        dismissedAt: z.optional(z.string()),
        dismissedBy: z.optional(z.string()),
      })
      .check(z.meta({ id: `${Name}DuplicatePair` })),
  );
  return {
    listDuplicates: operation({
      routeKey: `GET ${base}/duplicates`,
      operationId: `list${Name}Duplicates`,
      summary: `Candidate duplicate ${model.collection}: pairs that may be one ${model.type}, with why`,
      description:
        'Kept from record changes as they happen (a second or so behind), newest first, dismissed pairs left out. Each pair is checked against both records when listed, so a page may hold fewer than `limit`; follow `nextCursor` to the end.',
      tag: Names,
      query: pageQuery,
      success: { status: 200, description: 'One page', schema: () => pageOf(candidate(), `${Name}DuplicatePage`) },
    }),
    dismissDuplicate: operation({
      routeKey: `POST ${base}/duplicates/dismiss`,
      operationId: `dismiss${Name}Duplicate`,
      summary: `Take a pair off the duplicate ${model.collection} list: they are not one`,
      description: 'The dismissal holds while the two still match; a pair that stops matching and matches again later comes back.',
      tag: Names,
      body: dismissInput,
      bodyExample: { recordIds: [exampleId(3), exampleId(4)] },
      success: { status: 200, description: 'The pair, dismissed', schema: dismissedPair },
    }),
    merge: operation({
      routeKey: `POST ${base}/{id}/merge`,
      operationId: `merge${Names}`,
      summary: `Merge another ${model.type} into this one`,
      description: [
        `The ${model.type} in the path survives and takes the other's values where it has none, its lists joined, its ${model.uniqueFields.map((unique) => unique.field).join(' and ')} if asked for (else freed),`,
        `and everything that hangs off it: links, activities, deals, history${model.type === 'contact' ? ', emails and sequence enrollments' : ''}.`,
        `The other is gone: its GET answers 308 to the survivor, and \`${model.type}.merged\` is raised. Sending the same merge again resumes an unfinished one.`,
      ].join(' '),
      tag: Names,
      pathParams: idParams,
      body: mergeInput,
      bodyExample: { mergedId: exampleId(3), takeFromMerged: model.type === 'contact' ? ['phone'] : ['industry'] },
      success: { status: 200, description: 'Merged: the survivor, with its ETag', schema: () => model.recordSchema, etag: true, headers: { 'content-location': 'The survivor.' } },
      otherResponses: [
        { status: 202, description: 'Merged; links, history and the rest are still moving to the survivor in the background', schema: () => model.recordSchema, headers: { 'content-location': 'The survivor.' } },
      ],
      idempotent: true,
      conditional: true,
    }),
  };
}

export type DuplicateOperations = ReturnType<typeof duplicateOperations>;
