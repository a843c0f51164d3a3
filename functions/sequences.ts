import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createRuntime } from '../adapters/runtime';
import { metrics } from '../adapters/metrics';
import { enrollContact, getEnrollment, listEnrollments, stopEnrollment } from '../domain/sequences/enrollments';
import { createSequence, getSequence, listSequences, updateSequence } from '../domain/sequences/sequence-use-cases';
import { apiHandler } from './http/api-handler';
import { sequenceOperations } from './http/contract/sequences';
import { withIdempotentIds } from './http/idempotency';
import { apiServicesFor } from './http/api-services';
import { created, withEtag } from './http/responses';

const runtime = createRuntime();

export const handler = apiHandler(
  sequenceOperations,
  {
    createSequence: async (request) => {
      const sequence = await createSequence(withIdempotentIds(runtime, request, 'sequence'), request.body, request.actor);
      return created(`/v1/sequences/${sequence.id}`, sequence);
    },
    listSequences: async ({ query, actor }) => ({ status: 200, body: await listSequences(runtime, query, actor) }),
    getSequence: async ({ params, actor }) => withEtag(200, await getSequence(runtime, params.id, actor)),
    updateSequence: async ({ params, body, actor, ifMatch }) => withEtag(200, await updateSequence(runtime, params.id, body, actor, ifMatch)),
    enrollContact: async (request) => {
      const { params, body, actor } = request;
      const enrollment = await enrollContact(withIdempotentIds(runtime, request, 'enrollment', params.id), params.id, body.contactId, actor);
      metrics.addMetric('SequenceEnrollments', MetricUnit.Count, 1);
      return created(`/v1/sequences/${params.id}/enrollments/${body.contactId}`, enrollment);
    },
    listEnrollments: async ({ params, query, actor }) => ({ status: 200, body: await listEnrollments(runtime, params.id, query, actor) }),
    getEnrollment: async ({ params, actor }) => ({ status: 200, body: await getEnrollment(runtime, params.id, params.contactId, actor) }),
    stopEnrollment: async ({ params, actor }) => ({ status: 200, body: await stopEnrollment(runtime, params.id, params.contactId, actor) }),
  },
  apiServicesFor(runtime),
);
