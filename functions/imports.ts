import { createImportRuntime } from '../adapters/import-runtime';
import { cancelImport, createImport, getImport, listImports, recordImportFailure, startImport, viewOf } from '../domain/imports/imports';
import { apiHandler } from './http/api-handler';
import { apiServicesFor } from './http/api-services';
import { importOperations } from './http/contract/imports';
import { withIdempotentIds } from './http/idempotency';

const runtime = createImportRuntime();
const location = (id: string) => `/v1/imports/${id}`;

export const handler = apiHandler(
  importOperations,
  {
    createImport: async (request) => {
      const job = await createImport(withIdempotentIds(runtime, request, 'import'), request.body, request.actor);
      return { status: 201, body: await viewOf(runtime, job), headers: { location: location(job.id) } };
    },
    startImport: async ({ params, actor }) => {
      const job = await startImport(runtime, params.id, actor);
      try {
        // Named after the import: starting it twice starts one run.
        await runtime.runStarter.start({ runId: job.id, waitSeconds: 0 });
      } catch (error) {
        await recordImportFailure(runtime, job.id, 'its run could not be started');
        throw error;
      }
      return { status: 202, body: await viewOf(runtime, job), headers: { location: location(job.id) } };
    },
    cancelImport: async ({ params, actor }) => ({ status: 200, body: await viewOf(runtime, await cancelImport(runtime, params.id, actor)) }),
    listImports: async ({ query, actor }) => ({ status: 200, body: await listImports(runtime, query, actor) }),
    getImport: async ({ params, actor }) => ({ status: 200, body: await getImport(runtime, params.id, actor) }),
  },
  apiServicesFor(runtime),
);
