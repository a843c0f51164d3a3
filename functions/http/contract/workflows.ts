import * as z from '../../../domain/shared/zod';
import { recordId } from '../../../domain/shared/common-fields';
import { workflowSchemas } from '../../../domain/workflows/workflow';
import { runSchema } from '../../../domain/workflows/workflow-run';
import { operation } from '../api-operation';
import { exampleId, idParams, pageOf, pageQuery } from './common';

const schemas = () => workflowSchemas();
const runParams = z.object({ id: recordId, runId: recordId });

export const workflowOperations = {
  createWorkflow: operation({
    routeKey: 'POST /v1/workflows',
    operationId: 'createWorkflow',
    summary: 'Create a workflow: a trigger on record events and the actions it runs (managers)',
    tag: 'Workflows',
    body: () => schemas().create,
    bodyExample: {
      name: 'Contract sent: follow up',
      trigger: { event: 'deal.stage_changed', conditions: [{ field: 'stageId', operator: 'changedTo', value: 'contract_sent' }] },
      actions: [
        { type: 'createTask', subject: 'Call about the contract', dueInMinutes: 1440, assignTo: { kind: 'owner' } },
        { type: 'enrollInSequence', sequenceId: exampleId(1) },
      ],
    },
    success: { status: 201, description: 'Created, with its ETag and Location', schema: () => schemas().workflow, location: true, etag: true },
    idempotent: true,
  }),
  listWorkflows: operation({
    routeKey: 'GET /v1/workflows',
    operationId: 'listWorkflows',
    summary: 'List workflows, newest first',
    tag: 'Workflows',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: () => pageOf(schemas().workflow, 'WorkflowPage') },
  }),
  getWorkflow: operation({
    routeKey: 'GET /v1/workflows/{id}',
    operationId: 'getWorkflow',
    summary: 'Get a workflow',
    tag: 'Workflows',
    pathParams: idParams,
    success: { status: 200, description: 'The workflow, with its ETag', schema: () => schemas().workflow, etag: true },
  }),
  updateWorkflow: operation({
    routeKey: 'PATCH /v1/workflows/{id}',
    operationId: 'updateWorkflow',
    summary: 'Change, enable or disable a workflow (managers); runs in flight finish on the version they started with',
    tag: 'Workflows',
    pathParams: idParams,
    body: () => schemas().update,
    bodyExample: { enabled: false },
    success: { status: 200, description: 'Updated, with its new ETag', schema: () => schemas().workflow, etag: true },
    conditional: true,
  }),
  deleteWorkflow: operation({
    routeKey: 'DELETE /v1/workflows/{id}',
    operationId: 'deleteWorkflow',
    summary: 'Delete a workflow (managers); runs in flight finish',
    tag: 'Workflows',
    pathParams: idParams,
    success: { status: 204, description: 'Deleted' },
    conditional: true,
  }),
  listWorkflowRuns: operation({
    routeKey: 'GET /v1/workflows/{id}/runs',
    operationId: 'listWorkflowRuns',
    summary: "List a workflow's runs, newest first",
    tag: 'Workflows',
    pathParams: idParams,
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: pageOf(runSchema, 'WorkflowRunPage') },
  }),
  getWorkflowRun: operation({
    routeKey: 'GET /v1/workflows/{id}/runs/{runId}',
    operationId: 'getWorkflowRun',
    summary: 'Get one run: what triggered it, and the status, time and error of each step',
    tag: 'Workflows',
    pathParams: runParams,
    success: { status: 200, description: 'The run', schema: runSchema },
  }),
};
