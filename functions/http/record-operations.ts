import { batchWriteRecords } from '../../domain/records/batch-write-records';
import { createRecord } from '../../domain/records/create-record';
import { deleteRecord, type ModelLookup } from '../../domain/records/delete-record';
import { getRecord } from '../../domain/records/get-record';
import { listRecords } from '../../domain/records/list-records';
import type { RecordDependencies } from '../../domain/records/record-dependencies';
import type { RecordModel } from '../../domain/records/record-model';
import { recordTimeline } from '../../domain/records/record-timeline';
import { updateRecord } from '../../domain/records/update-record';
import { logger } from '../../adapters/logger';
import { NotFoundError } from '../../domain/shared/errors';
import { mergeRecords } from '../../domain/records/merge-records';
import { dismissDuplicate, listDuplicates } from '../../domain/duplicates/duplicates';
import type { ApiRequest, Implementations } from './api-operation';
import type { DuplicateOperations, RecordOperations } from './contract/records';
import { withIdempotentIds } from './idempotency';
import { problemOf, statusOf } from './problem-details';
import { created, withEtag } from './responses';

const SWEEP_RESERVE_MS = 8_000;

/** The record use cases behind the seven record operations of one type. */
export function recordImplementations(deps: RecordDependencies, model: RecordModel, modelOf: ModelLookup): Implementations<RecordOperations> {
  const location = (id: string) => `/v1/${model.collection}/${id}`;
  const depsFor = (request: ApiRequest, ...scope: string[]): RecordDependencies => withIdempotentIds(deps, request, model.type, ...scope);
  return {
    create: async (request) => {
      const record = await createRecord(depsFor(request, 'create'), model, request.body, request.actor);
      return created(location(record.id), record);
    },
    list: async ({ query, actor }) => ({ status: 200, body: await listRecords(deps, model, query, actor) }),
    batchCreate: async (request) => {
      const results = await batchWriteRecords(deps, model, request.body.inputs, request.actor, {
        ...(request.idempotencyKey ? { depsFor: (index: number) => depsFor(request, 'batch', String(index)) } : {}),
      });
      for (const result of results) if (result.outcome === 'failed' && statusOf(result.error) >= 500) logger.error('batch input failed', { index: result.index, error: result.error.cause as Error });
      const failed = results.some((result) => result.outcome === 'failed');
      return {
        status: failed ? 207 : 200,
        body: {
          results: results.map((result) =>
            result.outcome === 'failed'
              ? { index: result.index, status: statusOf(result.error), error: problemOf(result.error) }
              : { index: result.index, status: result.outcome === 'created' ? 201 : 200, record: result.record },
          ),
        },
      };
    },
    get: async ({ params, actor }) => {
      try {
        return withEtag(200, await getRecord(deps, model, params.id, actor));
      } catch (error) {
        // A merged record's id keeps working for reads: it leads to the survivor (HubSpot answers the same way).
        const survivorId = error instanceof NotFoundError ? error.extensions.mergedInto : undefined;
        if (!survivorId) throw error;
        return { status: 308, headers: { location: location(survivorId) }, body: { id: params.id, mergedInto: survivorId, detail: (error as NotFoundError).message } };
      }
    },
    update: async ({ params, body, actor, ifMatch }) => withEtag(200, await updateRecord(deps, model, params.id, body, { actor, ...(ifMatch !== undefined ? { ifMatch } : {}) })),
    remove: async ({ params, actor, ifMatch, remainingTimeMs }) => {
      const outcome = await deleteRecord(deps, modelOf, model, params.id, {
        actor,
        ...(ifMatch !== undefined ? { ifMatch } : {}),
        // Stop sweeping well before the API's 30 s limit; the stream sweeper takes over.
        hasTimeLeft: () => remainingTimeMs() > SWEEP_RESERVE_MS,
      });
      return outcome === 'deleted'
        ? { status: 204 }
        : { status: 202, body: { id: params.id, status: 'deleting', detail: 'The record is gone; links to it are being removed in the background.' } };
    },
    timeline: async ({ params, query, actor }) => ({ status: 200, body: await recordTimeline(deps, model, params.id, query, actor) }),
  };
}

/** Duplicates of a type that has them (contacts, companies): the candidates, and merging. */
export function duplicateImplementations(deps: RecordDependencies, model: RecordModel, modelOf: ModelLookup): Implementations<DuplicateOperations> {
  return {
    listDuplicates: async ({ query, actor }) => ({ status: 200, body: await listDuplicates(deps, model, query, actor) }),
    dismissDuplicate: async ({ body, actor }) => ({ status: 200, body: await dismissDuplicate(deps, model, body.recordIds, actor) }),
    merge: async (request) => {
      const { params, body, actor, ifMatch, remainingTimeMs } = request;
      const { record, status, sweepError } = await mergeRecords(withIdempotentIds(deps, request, model.type, 'merge'), modelOf, model, params.id, body, {
        actor,
        ...(ifMatch !== undefined ? { ifMatch } : {}),
        hasTimeLeft: () => remainingTimeMs() > SWEEP_RESERVE_MS,
      });
      if (sweepError) logger.error('merge done; its sweep is left to the stream sweeper', { survivorId: record.id, mergedId: body.mergedId, error: sweepError as Error });
      // The survivor's own address: what a replay of this request reads back (api-core.ts).
      const answer = withEtag(status === 'merged' ? 200 : 202, record);
      return { ...answer, headers: { ...answer.headers, 'content-location': `/v1/${model.collection}/${record.id}` } };
    },
  };
}
