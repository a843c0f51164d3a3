import { createRuntime } from '../adapters/runtime';
import { createPipeline, deletePipeline, getPipeline, listPipelines, updatePipeline } from '../domain/pipelines/pipeline-use-cases';
import { apiHandler } from './http/api-handler';
import { pipelineOperations } from './http/contract/pipelines';
import { withIdempotentIds } from './http/idempotency';
import { apiServicesFor } from './http/api-services';
import { created, withEtag } from './http/responses';

const runtime = createRuntime();

export const handler = apiHandler(
  pipelineOperations,
  {
    createPipeline: async (request) => {
      const pipeline = await createPipeline(withIdempotentIds(runtime, request, 'pipeline'), request.body, request.actor);
      return created(`/v1/pipelines/${pipeline.id}`, pipeline);
    },
    listPipelines: async ({ query, actor }) => ({ status: 200, body: await listPipelines(runtime, query, actor) }),
    getPipeline: async ({ params, actor }) => withEtag(200, await getPipeline(runtime, params.id, actor)),
    updatePipeline: async ({ params, body, actor, ifMatch }) => withEtag(200, await updatePipeline(runtime, params.id, body, actor, ifMatch)),
    deletePipeline: async ({ params, actor, ifMatch }) => {
      await deletePipeline(runtime, params.id, actor, ifMatch);
      return { status: 204 };
    },
  },
  apiServicesFor(runtime),
);
