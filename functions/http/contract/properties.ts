import * as z from '../../../domain/shared/zod';
import { once } from '../../../domain/shared/built-on-first-use';
import { objectTypeParam, propertyName, propertySchemas } from '../../../domain/properties/property-definition';
import { operation } from '../api-operation';
import { pageOf, pageQuery } from './common';

const typeParams = z.object({ objectType: objectTypeParam });
const propertyParams = z.object({ objectType: objectTypeParam, name: propertyName });

const propertyPage = once(() => pageOf(propertySchemas().definition, 'PropertyPage'));

export const propertyOperations = {
  createProperty: operation({
    routeKey: 'POST /v1/properties/{objectType}',
    operationId: 'createProperty',
    summary: 'Define a custom property (admins)',
    adminOnly: true,
    tag: 'Properties',
    pathParams: typeParams,
    body: () => propertySchemas().create,
    bodyExample: { name: 'annual_revenue', label: 'Annual revenue', type: 'number', description: 'Last fiscal year, in USD' },
    success: { status: 201, description: 'Created, with its ETag and Location', schema: () => propertySchemas().definition, location: true, etag: true },
    idempotent: true,
  }),
  listProperties: operation({
    routeKey: 'GET /v1/properties/{objectType}',
    operationId: 'listProperties',
    summary: 'List custom properties of a record type',
    tag: 'Properties',
    pathParams: typeParams,
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: propertyPage },
  }),
  getProperty: operation({
    routeKey: 'GET /v1/properties/{objectType}/{name}',
    operationId: 'getProperty',
    summary: 'Get a custom property',
    tag: 'Properties',
    pathParams: propertyParams,
    success: { status: 200, description: 'The definition, with its ETag', schema: () => propertySchemas().definition, etag: true },
  }),
  updateProperty: operation({
    routeKey: 'PATCH /v1/properties/{objectType}/{name}',
    operationId: 'updateProperty',
    summary: 'Change label, description or enum options (admins)',
    adminOnly: true,
    tag: 'Properties',
    pathParams: propertyParams,
    body: () => propertySchemas().update,
    bodyExample: { label: 'Annual revenue (USD)' },
    success: { status: 200, description: 'Updated, with its new ETag', schema: () => propertySchemas().definition, etag: true },
    conditional: true,
  }),
  deleteProperty: operation({
    routeKey: 'DELETE /v1/properties/{objectType}/{name}',
    operationId: 'deleteProperty',
    summary: 'Delete a custom property definition (admins)',
    adminOnly: true,
    tag: 'Properties',
    pathParams: propertyParams,
    success: { status: 204, description: 'Deleted' },
    conditional: true,
  }),
};
