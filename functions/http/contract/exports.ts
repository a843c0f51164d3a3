import { exportJobSchema, exportRequestSchema } from '../../../domain/exports/export-job';
import { operation } from '../api-operation';
import { idParams } from './common';

export const exportOperations = {
  createExport: operation({
    routeKey: 'POST /v1/exports',
    operationId: 'createExport',
    summary: 'Export the records of a list (any size) to a CSV or JSON Lines file; follow the Location until it is done',
    tag: 'Exports',
    body: exportRequestSchema,
    bodyExample: { type: 'contacts', format: 'csv', filters: { ownerId: 'user-1', lifecycleStage: 'customer' } },
    success: { status: 202, description: 'Started; GET the Location for its progress and, once done, the download URL', schema: exportJobSchema, location: true },
    idempotent: true,
  }),
  getExport: operation({
    routeKey: 'GET /v1/exports/{id}',
    operationId: 'getExport',
    summary: 'An export: its progress, and once done a download URL (presigned, 15 minutes)',
    tag: 'Exports',
    pathParams: idParams,
    success: { status: 200, description: 'The export', schema: exportJobSchema },
  }),
};
