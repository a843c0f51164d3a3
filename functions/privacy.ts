import { createRuntime } from '../adapters/runtime';
import { personalDataOf } from '../domain/privacy/personal-data';
import { apiHandler } from './http/api-handler';
import { apiServicesFor } from './http/api-services';
import { privacyOperations } from './http/contract/privacy';

const runtime = createRuntime();

export const handler = apiHandler(
  privacyOperations,
  {
    getPersonalData: async ({ params, actor }) => ({ status: 200, body: await personalDataOf(runtime, params.id, actor) }),
  },
  apiServicesFor(runtime),
);
