import { createRuntime } from '../adapters/runtime';
import { addOwner, getOwner, listOwners } from '../domain/owners/owners';
import { apiHandler } from './http/api-handler';
import { apiServicesFor } from './http/api-services';
import { ownerOperations } from './http/contract/owners';

const runtime = createRuntime();

export const handler = apiHandler(
  ownerOperations,
  {
    listOwners: async ({ query, actor }) => ({ status: 200, body: await listOwners(runtime, query, actor) }),
    getOwner: async ({ params, actor }) => ({ status: 200, body: await getOwner(runtime, params.id, actor) }),
    addOwner: async ({ params, body, actor }) => ({ status: 200, body: await addOwner(runtime, params.id, body, actor) }),
  },
  apiServicesFor(runtime),
);
