import { importJobSchema, importRequestSchema } from '../../../domain/imports/import-job';
import { operation } from '../api-operation';
import * as z from '../../../domain/shared/zod';
import { idParams, pageOf } from './common';
import { pageCursor, pageLimit } from '../../../domain/records/schema-helpers';

export const importOperations = {
  createImport: operation({
    routeKey: 'POST /v1/imports',
    operationId: 'createImport',
    summary: 'Create an import of a CSV file (any size): PUT the file to the uploadUrl it answers, then start it',
    tag: 'Imports',
    body: importRequestSchema,
    bodyExample: { type: 'contacts', mapping: { 'E-mail': 'email', 'First name': 'firstName', Company: 'companyDomain', Plan: 'properties.plan', Notes: null } },
    success: { status: 201, description: 'Created, awaiting its file: PUT it to uploadUrl', schema: importJobSchema, location: true },
    idempotent: true,
  }),
  startImport: operation({
    routeKey: 'POST /v1/imports/{id}/start',
    operationId: 'startImport',
    summary: "Start an uploaded import: its header is read and the mapping (sent, or guessed now) checked against it; follow the Location until it is done",
    tag: 'Imports',
    pathParams: idParams,
    success: { status: 202, description: 'Running; GET the Location for its counts and, once done, the error report', schema: importJobSchema, location: true },
  }),
  cancelImport: operation({
    routeKey: 'POST /v1/imports/{id}/cancel',
    operationId: 'cancelImport',
    summary: 'Cancel an import that has not finished; rows written so far stay written',
    tag: 'Imports',
    pathParams: idParams,
    success: { status: 200, description: 'Cancelled', schema: importJobSchema },
  }),
  listImports: operation({
    routeKey: 'GET /v1/imports',
    operationId: 'listImports',
    summary: 'Your imports, newest first (admins: anyone’s, with createdBy); each kept 7 days',
    tag: 'Imports',
    query: z.strictObject({
      limit: pageLimit,
      cursor: z.optional(pageCursor),
      createdBy: z.optional(z.string().check(z.minLength(1), z.maxLength(200))).check(z.meta({ description: 'Whose imports (admins only); yours when omitted.' })),
    }),
    success: { status: 200, description: 'One page', schema: pageOf(importJobSchema, 'ImportPage') },
  }),
  getImport: operation({
    routeKey: 'GET /v1/imports/{id}',
    operationId: 'getImport',
    summary: 'An import: its counts, the upload URL while it awaits its file, and once done the error report of failed rows',
    tag: 'Imports',
    pathParams: idParams,
    success: { status: 200, description: 'The import', schema: importJobSchema },
  }),
};
