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
import { problemOf, statusOf } from './problem-details';
import type { Implementations } from './api-handler';
import { withEtag } from './etag';

const SWEEP_RESERVE_MS = 8_000;


/** The record use cases behind the seven record operations of one type. */
export function recordImplementations(deps: RecordDependencies, model: RecordModel, modelOf: ModelLookup): Implementations {
  const Name = model.type[0]!.toUpperCase() + model.type.slice(1);
  const Names = model.collection[0]!.toUpperCase() + model.collection.slice(1);
  return {
    [`create${Name}`]: async ({ body, actor }) => withEtag(201, await createRecord(deps, model, body as Record<string, unknown>, actor)),
    [`list${Names}`]: async ({ query, actor }) => ({ status: 200, body: await listRecords(deps, model, query, actor) }),
    [`batchCreate${Names}`]: async ({ body, actor }) => {
      const results = await batchWriteRecords(deps, model, (body as { inputs: unknown[] }).inputs, actor);
      for (const result of results) if (result.outcome === 'failed' && statusOf(result.error) >= 500) logger.error('batch input failed', { index: result.index, error: result.error.cause as Error });
      const failed = results.some((result) => result.outcome === 'failed');
      return {
        status: failed ? 207 : 200,
        body: {
          results: results.map((result) =>
            result.outcome === 'failed'
              ? { index: result.index, status: statusOf(result.error), error: problemOf(result.error) }
              : { index: result.index, status: result.outcome === 'created' ? 201 : 200, id: result.record.id, version: result.record.version },
          ),
        },
      };
    },
    [`get${Name}`]: async ({ params, actor }) => withEtag(200, await getRecord(deps, model, params.id!, actor)),
    [`update${Name}`]: async ({ params, body, actor, ifMatch }) =>
      withEtag(200, await updateRecord(deps, model, params.id!, body as Record<string, unknown>, { actor, ...(ifMatch !== undefined ? { ifMatch } : {}) })),
    [`delete${Name}`]: async ({ params, actor, ifMatch, remainingTimeMs }) => {
      const outcome = await deleteRecord(deps, modelOf, model, params.id!, {
        actor,
        ...(ifMatch !== undefined ? { ifMatch } : {}),
        // Stop sweeping well before the API's 30 s limit; the stream sweeper takes over.
        hasTimeLeft: () => remainingTimeMs() > SWEEP_RESERVE_MS,
      });
      return outcome === 'deleted'
        ? { status: 204 }
        : { status: 202, body: { id: params.id, status: 'deleting', detail: 'The record is gone; links to it are being removed in the background.' } };
    },
    [`get${Name}Timeline`]: async ({ params, query, actor }) => ({
      status: 200,
      body: await recordTimeline(deps, model, params.id!, query as { limit: number; cursor?: string }, actor),
    }),
  };
}
