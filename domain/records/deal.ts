import * as z from '../shared/zod';
import { customProperties, externalId, externalIdLookup, idList, isoDate, recordId, shortText, tags, userId } from '../shared/common-fields';
import { ConflictError, ValidationError } from '../shared/errors';
import { singlePartition } from '../shared/key-design';
import { byLastUpdate, openDealsByUpdate, recordsByDate, dealsByPipeline, recordKeys, recordQueries, recordsByOwner, recordsByType } from '../shared/keys';
import { DEFAULT_PIPELINE_ID, entryStage, stageKinds } from '../pipelines/pipeline';
import { once } from '../shared/built-on-first-use';
import { externalIdField, recordModel, type CrmRecord } from './record-model';
import { listQuerySchemaOf, patchSchemaOf, searchQueryParameter, serverRecordSchema, tagParameter } from './schema-helpers';
import { dateSort, instantSort, nameSort, numberSort, oneOf, singleValued, tagFilter, updateRangeOf } from './list-views';

const dealShape = once(() => ({
  name: shortText(200),
  externalId,
  amount: z.number().check(z.gte(0), z.lte(1e11), z.multipleOf(0.01), z.meta({ description: 'In major units of `currency`, two decimals at most; at most 100 billion (reports count cents in exact integers).' })),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD')),
  pipelineId: recordId,
  stageId: recordId.check(z.meta({ description: 'A stage of the pipeline; defaults to its first open stage.' })),
  expectedCloseDate: isoDate,
  ownerId: userId,
  companyId: recordId,
  contactIds: idList(30).check(z.meta({ description: 'Contacts on the deal (at most 30).' })),
  tags,
  properties: customProperties,
}));

export const dealModel = recordModel(
  {
    type: 'deal',
    uniqueFields: [externalIdField],
    references: [
      { field: 'companyId', target: 'company', many: false, linkKind: 'association' },
      { field: 'contactIds', target: 'contact', many: true, linkKind: 'association' },
    ],

    async derive(draft, context) {
      const placementChanged = context.isNew || context.changedFields.has('pipelineId') || context.changedFields.has('stageId');
      // A cascade that only drops a reference leaves the deal where it is, even if its stage is gone.
      if (!context.strict && !placementChanged) return { contactIds: (draft.contactIds as string[] | undefined) ?? [] };
      const pipelineId = (draft.pipelineId as string | undefined) ?? DEFAULT_PIPELINE_ID;
      const pipeline = await context.getPipeline(pipelineId);
      if (!pipeline) throw new ValidationError(`No pipeline ${pipelineId}: move the deal to an existing pipeline.`, [{ field: 'body.pipelineId', message: 'unknown pipeline' }]);
      const stageId = draft.stageId as string | undefined;
      const stage = stageId ? pipeline.stages.find((candidate) => candidate.id === stageId) : entryStage(pipeline);
      if (!stage) throw new ValidationError(`Pipeline ${pipelineId} has no stage ${stageId}.`, [{ field: 'body.stageId', message: 'not a stage of the pipeline' }]);
      if (placementChanged) {
        // The pipeline must still be the one we read when the deal lands: a concurrent removal of
        // the stage (or the pipeline) makes this write fail instead of stranding the deal there.
        context.guard({
          op: 'check',
          key: recordKeys.record('pipeline', pipeline.id),
          condition: { kind: 'liveAtVersion', version: pipeline.version },
          onConditionFailed: () => new ConflictError(`Pipeline ${pipeline.id} changed while the deal was being saved; retry.`),
        });
      }
      const closed = stage.kind !== 'open';
      return {
        pipelineId,
        stageId: stage.id,
        status: stage.kind,
        probability: stage.probability,
        // Entering a won or lost stage closes the deal now; moving between won and lost closes it again.
        closedAt: closed ? ((draft.status === stage.kind ? (draft.closedAt as string | null | undefined) : undefined) ?? context.now) : null,
        contactIds: (draft.contactIds as string[] | undefined) ?? [],
      };
    },

    indexKeys: (record: CrmRecord) => ({
      ...(record.ownerId ? recordsByOwner.attributes({ type: 'deal', ownerId: record.ownerId as string }, byLastUpdate(record)) : {}),
      ...dealsByPipeline.attributes({ pipelineId: record.pipelineId as string }, { stageId: record.stageId as string, ...byLastUpdate(record) }),
      ...(record.status === 'open' ? openDealsByUpdate.attributes({}, byLastUpdate(record)) : {}),
      ...(record.status === 'open' && typeof record.expectedCloseDate === 'string'
        ? recordsByDate.attributes({ type: 'deal', field: 'expectedCloseDate' }, { value: record.expectedCloseDate, id: record.id })
        : {}),
    }),

    lists: {
      filters: [
        singleValued('ownerId'),
        singleValued('pipelineId'),
        singleValued('stageId'),
        singleValued('status'),
        singleValued('companyId'),
        oneOf('contactId', 'contactIds'),
        tagFilter,
      ],
      sorts: [instantSort('createdAt'), instantSort('updatedAt'), nameSort((deal) => deal.name), numberSort('amount'), dateSort('expectedCloseDate')],
      views: [
        { filters: [], sorts: ['createdAt', 'name', 'amount', 'expectedCloseDate'], indexed: { updatedAt: (_, range) => recordsByType.query({ type: 'deal' }, updateRangeOf(range)) } },
        { filters: ['ownerId'], sorts: ['amount', 'expectedCloseDate'], indexed: { updatedAt: ({ ownerId }, range) => recordsByOwner.query({ type: 'deal', ownerId: ownerId! }, updateRangeOf(range)) } },
        // Unsorted, a pipeline lists its deals stage by stage (the board), each stage latest update first.
        { filters: ['pipelineId'], sorts: ['expectedCloseDate'], unsorted: ({ pipelineId }) => dealsByPipeline.query({ pipelineId: pipelineId! }) },
        {
          filters: ['pipelineId', 'stageId'],
          sorts: ['amount', 'expectedCloseDate'],
          indexed: { updatedAt: ({ pipelineId, stageId }, range) => dealsByPipeline.query({ pipelineId: pipelineId! }, { stageId: stageId!, ...updateRangeOf(range) }) },
        },
        { filters: ['pipelineId', 'stageId', 'ownerId'], sorts: ['updatedAt', 'expectedCloseDate'] },
        { filters: ['status'], sorts: ['expectedCloseDate', 'amount'] },
        { filters: ['ownerId', 'status'], sorts: ['expectedCloseDate'] },
        { filters: ['companyId'], sorts: ['expectedCloseDate'], unsorted: ({ companyId }) => singlePartition(recordQueries.linkedRecords('company', companyId!, 'deal')) },
        { filters: ['contactId'], sorts: [], unsorted: ({ contactId }) => singlePartition(recordQueries.linkedRecords('contact', contactId!, 'deal')) },
        { filters: ['tag'], sorts: ['updatedAt'] },
      ],
    },
  },
  {
    createSchema: () =>
      z
        .partial(z.strictObject({ ...dealShape(), currency: z._default(dealShape().currency, 'USD'), pipelineId: z._default(dealShape().pipelineId, DEFAULT_PIPELINE_ID) }), {
          externalId: true,
          amount: true,
          stageId: true,
          expectedCloseDate: true,
          ownerId: true,
          companyId: true,
          contactIds: true,
          tags: true,
          properties: true,
        })
        .check(z.meta({ id: 'DealCreate' })),
    updateSchema: () => patchSchemaOf(dealShape(), ['name', 'currency', 'pipelineId', 'stageId'], 'DealUpdate'),
    recordSchema: () =>
      serverRecordSchema('Deal', {
        ...Object.fromEntries(Object.entries(dealShape()).map(([name, schema]) => [name, z.optional(schema)])),
        name: z.string(),
        currency: z.string(),
        pipelineId: z.string(),
        stageId: z.string(),
        contactIds: z.array(z.string()),
        status: z.enum(stageKinds).check(z.meta({ description: 'Follows the kind of the stage: open, won or lost.' })),
        probability: z.number().check(z.meta({ description: 'Win probability of the current stage.' })),
        closedAt: z.optional(z.string()).check(z.meta({ description: 'When the deal entered a won or lost stage; absent while it is open.' })),
      }),
    listQuerySchema: () =>
      listQuerySchemaOf(dealModel.lists, {
        ...searchQueryParameter,
        pipelineId: z.optional(recordId),
        stageId: z.optional(recordId).check(z.meta({ description: 'Requires pipelineId.' })),
        status: z.optional(z.enum(stageKinds)),
        companyId: z.optional(recordId),
        contactId: z.optional(recordId),
        tag: tagParameter,
        externalId: externalIdLookup('deal'),
      }),
  },
);
