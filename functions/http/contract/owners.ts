import * as z from '../../../domain/shared/zod';
import { ownerSchemas } from '../../../domain/owners/owners';
import { operation } from '../api-operation';
import { pageOf, pageQuery } from './common';

const schemas = () => ownerSchemas();
/** Owner ids are the identity provider's subjects: not only letters and digits (Cognito's are UUIDs, others emails). */
const ownerParams = z.object({ id: z.string().check(z.minLength(1), z.maxLength(128)) });

export const ownerOperations = {
  listOwners: operation({
    routeKey: 'GET /v1/owners',
    operationId: 'listOwners',
    summary: 'List the users who can own records: those who have signed in, and those admins added; by id',
    tag: 'Owners',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: () => pageOf(schemas().owner, 'OwnerPage') },
  }),
  getOwner: operation({
    routeKey: 'GET /v1/owners/{id}',
    operationId: 'getOwner',
    summary: 'Get an owner',
    tag: 'Owners',
    pathParams: ownerParams,
    success: { status: 200, description: 'The owner', schema: () => schemas().owner },
  }),
  addOwner: operation({
    routeKey: 'PUT /v1/owners/{id}',
    operationId: 'addOwner',
    summary: 'Add an owner before their first sign-in (to import records assigned to them), or set an owner\'s email and name (admins)',
    tag: 'Owners',
    pathParams: ownerParams,
    body: () => schemas().put,
    bodyExample: { email: 'dev@acme.example', name: 'Dev Patel' },
    adminOnly: true,
    success: { status: 200, description: 'The owner', schema: () => schemas().owner },
  }),
};
