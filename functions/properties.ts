import { createRuntime } from '../adapters/runtime';
import type { ObjectTypeParam, PropertyCreate, PropertyUpdate } from '../domain/properties/property-definition';
import {
  createPropertyDefinition,
  deletePropertyDefinition,
  getPropertyDefinition,
  listPropertyDefinitions,
  updatePropertyDefinition,
} from '../domain/properties/property-use-cases';
import { propertyOperations } from './http/api-contract';
import { createApiHandler } from './http/api-handler';
import { withEtag } from './http/etag';
import { idempotencyFor } from './http/idempotency';

const runtime = createRuntime();
const objectType = (params: Record<string, string>) => params.objectType as ObjectTypeParam;

export const handler = createApiHandler(
  propertyOperations,
  {
    createProperty: async ({ params, body, actor }) => withEtag(201, await createPropertyDefinition(runtime, objectType(params), body as PropertyCreate, actor)),
    listProperties: async ({ params, query, actor }) => ({ status: 200, body: await listPropertyDefinitions(runtime, objectType(params), query as { limit: number; cursor?: string }, actor) }),
    getProperty: async ({ params, actor }) => withEtag(200, await getPropertyDefinition(runtime, objectType(params), params.name!, actor)),
    updateProperty: async ({ params, body, actor, ifMatch }) =>
      withEtag(200, await updatePropertyDefinition(runtime, objectType(params), params.name!, body as PropertyUpdate, actor, ifMatch)),
    deleteProperty: async ({ params, actor, ifMatch }) => {
      await deletePropertyDefinition(runtime, objectType(params), params.name!, actor, ifMatch);
      return { status: 204 };
    },
  },
  [idempotencyFor(runtime, propertyOperations)],
);
