import { createRuntime } from '../adapters/runtime';
import { getWorkflowRun, listWorkflowRuns } from '../domain/workflows/workflow-runs';
import { createWorkflow, deleteWorkflow, getWorkflow, listWorkflows, updateWorkflow } from '../domain/workflows/workflows';
import { apiHandler } from './http/api-handler';
import { workflowOperations } from './http/contract/workflows';
import { withIdempotentIds } from './http/idempotency';
import { apiServicesFor } from './http/api-services';
import { created, withEtag } from './http/responses';

const runtime = createRuntime();

export const handler = apiHandler(
  workflowOperations,
  {
    createWorkflow: async (request) => {
      const workflow = await createWorkflow(withIdempotentIds(runtime, request, 'workflow'), request.body, request.actor);
      return created(`/v1/workflows/${workflow.id}`, workflow);
    },
    listWorkflows: async ({ query, actor }) => ({ status: 200, body: await listWorkflows(runtime, query, actor) }),
    getWorkflow: async ({ params, actor }) => withEtag(200, await getWorkflow(runtime, params.id, actor)),
    updateWorkflow: async ({ params, body, actor, ifMatch }) => withEtag(200, await updateWorkflow(runtime, params.id, body, actor, ifMatch)),
    deleteWorkflow: async ({ params, actor, ifMatch }) => {
      await deleteWorkflow(runtime, params.id, actor, ifMatch);
      return { status: 204 };
    },
    listWorkflowRuns: async ({ params, query, actor }) => ({ status: 200, body: await listWorkflowRuns(runtime, params.id, query, actor) }),
    getWorkflowRun: async ({ params, actor }) => ({ status: 200, body: await getWorkflowRun(runtime, params.id, params.runId, actor) }),
  },
  apiServicesFor(runtime),
);
