import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createRuntime } from '../adapters/runtime';
import { metrics } from '../adapters/metrics';
import { enrollContact, getEnrollment, listEnrollments, stopEnrollment } from '../domain/sequences/enrollments';
import type { SequenceCreate, SequenceUpdate } from '../domain/sequences/sequence';
import { createSequence, getSequence, listSequences, updateSequence } from '../domain/sequences/sequence-use-cases';
import { sequenceOperations } from './http/api-contract';
import { createApiHandler } from './http/api-handler';
import { withEtag } from './http/etag';
import { idempotencyFor } from './http/idempotency';

const runtime = createRuntime();

export const handler = createApiHandler(
  sequenceOperations,
  {
    createSequence: async ({ body, actor }) => withEtag(201, await createSequence(runtime, body as SequenceCreate, actor)),
    listSequences: async ({ query, actor }) => ({ status: 200, body: await listSequences(runtime, query as { limit: number; cursor?: string }, actor) }),
    getSequence: async ({ params, actor }) => withEtag(200, await getSequence(runtime, params.id!, actor)),
    updateSequence: async ({ params, body, actor, ifMatch }) => withEtag(200, await updateSequence(runtime, params.id!, body as SequenceUpdate, actor, ifMatch)),
    enrollContact: async ({ params, body, actor }) => {
      const enrollment = await enrollContact(runtime, params.id!, (body as { contactId: string }).contactId, actor);
      metrics.addMetric('SequenceEnrollments', MetricUnit.Count, 1);
      return { status: 201, body: enrollment };
    },
    listEnrollments: async ({ params, query, actor }) => ({ status: 200, body: await listEnrollments(runtime, params.id!, query as { limit: number; cursor?: string }, actor) }),
    getEnrollment: async ({ params, actor }) => ({ status: 200, body: await getEnrollment(runtime, params.id!, params.contactId!, actor) }),
    stopEnrollment: async ({ params, actor }) => ({ status: 200, body: await stopEnrollment(runtime, params.id!, params.contactId!, actor) }),
  },
  [idempotencyFor(runtime, sequenceOperations)],
);
