import { createRuntime } from '../adapters/runtime';
import {
  createPropertyDefinition,
  deletePropertyDefinition,
  getPropertyDefinition,
  listPropertyDefinitions,
  updatePropertyDefinition,
} from '../domain/properties/property-use-cases';
import { apiHandler } from './http/api-handler';
import { propertyOperations } from './http/contract/properties';
import { apiServicesFor } from './http/api-services';
import { created, withEtag } from './http/responses';

const runtime = createRuntime();

export const handler = apiHandler(
  propertyOperations,
  {
    createProperty: async ({ params, body, actor, idempotencyKey }) => {
      const definition = await createPropertyDefinition(runtime, params.objectType, body, actor, { idempotent: idempotencyKey !== undefined });
      return created(`/v1/properties/${params.objectType}/${definition.name}`, definition);
    },
    listProperties: async ({ params, query, actor }) => ({ status: 200, body: await listPropertyDefinitions(runtime, params.objectType, query, actor) }),
    getProperty: async ({ params, actor }) => withEtag(200, await getPropertyDefinition(runtime, params.objectType, params.name, actor)),
    updateProperty: async ({ params, body, actor, ifMatch }) => withEtag(200, await updatePropertyDefinition(runtime, params.objectType, params.name, body, actor, ifMatch)),
    deleteProperty: async ({ params, actor, ifMatch }) => {
      await deletePropertyDefinition(runtime, params.objectType, params.name, actor, ifMatch);
      return { status: 204 };
    },
  },
  apiServicesFor(runtime),
);
