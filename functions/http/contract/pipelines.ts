import { once } from '../../../domain/shared/built-on-first-use';
import { pipelineSchemas } from '../../../domain/pipelines/pipeline';
import { operation } from '../api-operation';
import { idParams, pageOf, pageQuery } from './common';

const stagesExample = [
  { name: 'Discovery', probability: 0.2 },
  { name: 'Proposal', probability: 0.6 },
  { name: 'Won', probability: 1, kind: 'won' },
  { name: 'Lost', probability: 0, kind: 'lost' },
];

const pipelinePage = once(() => pageOf(pipelineSchemas().pipeline, 'PipelinePage'));

export const pipelineOperations = {
  createPipeline: operation({
    routeKey: 'POST /v1/pipelines',
    operationId: 'createPipeline',
    summary: 'Create a deal pipeline (admins)',
    adminOnly: true,
    tag: 'Pipelines',
    body: () => pipelineSchemas().create,
    bodyExample: { name: 'Renewals', stages: stagesExample },
    success: { status: 201, description: 'Created, with its ETag and Location', schema: () => pipelineSchemas().pipeline, location: true, etag: true },
    idempotent: true,
  }),
  listPipelines: operation({
    routeKey: 'GET /v1/pipelines',
    operationId: 'listPipelines',
    summary: 'List pipelines (the default one always exists)',
    tag: 'Pipelines',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: pipelinePage },
  }),
  getPipeline: operation({
    routeKey: 'GET /v1/pipelines/{id}',
    operationId: 'getPipeline',
    summary: 'Get a pipeline',
    tag: 'Pipelines',
    pathParams: idParams,
    success: { status: 200, description: 'The pipeline, with its ETag', schema: () => pipelineSchemas().pipeline, etag: true },
  }),
  updatePipeline: operation({
    routeKey: 'PATCH /v1/pipelines/{id}',
    operationId: 'updatePipeline',
    summary: 'Rename, or add, rename, reorder and remove stages (admins)',
    adminOnly: true,
    tag: 'Pipelines',
    pathParams: idParams,
    body: () => pipelineSchemas().update,
    bodyExample: { name: 'Renewals 2027' },
    success: { status: 200, description: 'Updated, with its new ETag', schema: () => pipelineSchemas().pipeline, etag: true },
    conditional: true,
  }),
  deletePipeline: operation({
    routeKey: 'DELETE /v1/pipelines/{id}',
    operationId: 'deletePipeline',
    summary: 'Delete a pipeline without deals (admins)',
    adminOnly: true,
    tag: 'Pipelines',
    pathParams: idParams,
    success: { status: 204, description: 'Deleted' },
    conditional: true,
  }),
};
