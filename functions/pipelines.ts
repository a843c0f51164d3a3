import { createRuntime } from '../adapters/runtime';
import { createPipeline, deletePipeline, getPipeline, listPipelines, updatePipeline } from '../domain/pipelines/pipeline-use-cases';
import type { PipelineCreate, PipelineUpdate } from '../domain/pipelines/pipeline';
import { pipelineOperations } from './http/api-contract';
import { createApiHandler } from './http/api-handler';
import { withEtag } from './http/etag';
import { idempotencyFor } from './http/idempotency';

const runtime = createRuntime();

export const handler = createApiHandler(
  pipelineOperations,
  {
    createPipeline: async ({ body, actor }) => withEtag(201, await createPipeline(runtime, body as PipelineCreate, actor)),
    listPipelines: async ({ query, actor }) => ({ status: 200, body: await listPipelines(runtime, query as { limit: number; cursor?: string }, actor) }),
    getPipeline: async ({ params, actor }) => withEtag(200, await getPipeline(runtime, params.id!, actor)),
    updatePipeline: async ({ params, body, actor, ifMatch }) => withEtag(200, await updatePipeline(runtime, params.id!, body as PipelineUpdate, actor, ifMatch)),
    deletePipeline: async ({ params, actor, ifMatch }) => {
      await deletePipeline(runtime, params.id!, actor, ifMatch);
      return { status: 204 };
    },
  },
  [idempotencyFor(runtime, pipelineOperations)],
);
