import { createExportRuntime } from '../adapters/export-runtime';
import { createExport, recordExportFailure, viewOf, getExport } from '../domain/exports/exports';
import { apiHandler } from './http/api-handler';
import { apiServicesFor } from './http/api-services';
import { exportOperations } from './http/contract/exports';
import { withIdempotentIds } from './http/idempotency';

const runtime = createExportRuntime();

export const handler = apiHandler(
  exportOperations,
  {
    createExport: async (request) => {
      const job = await createExport(withIdempotentIds(runtime, request, 'export'), request.body, request.actor);
      try {
        // Named after the export: a retried request starts nothing twice.
        await runtime.runStarter.start({ runId: job.id, waitSeconds: 0 });
      } catch (error) {
        await recordExportFailure(runtime, job.id, 'its run could not be started');
        throw error;
      }
      return { status: 202, body: await viewOf(runtime, job), headers: { location: `/v1/exports/${job.id}` } };
    },
    getExport: async ({ params, actor }) => ({ status: 200, body: await getExport(runtime, params.id, actor) }),
  },
  apiServicesFor(runtime),
);
