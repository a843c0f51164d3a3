import * as z from 'zod';
import { auditedTypes } from '../../../domain/audit/audit-entries';
import { pageLimit } from '../../../domain/records/schema-helpers';
import { operation } from '../api-operation';
import { pageCursor } from '../../../domain/records/schema-helpers';
import { pageOf } from './common';

const auditEntry = z
  .object({
    recordType: z.enum(auditedTypes),
    recordId: z.string(),
    at: z.string(),
    event: z.enum(['created', 'updated', 'deleted']),
    actor: z.object({ type: z.enum(['user', 'client', 'system']), id: z.string(), role: z.string(), requestId: z.string().optional(), onBehalfOf: z.string().optional() }),
    changes: z.array(
      z.union([
        z.object({ field: z.string(), from: z.unknown(), to: z.unknown() }),
        z.object({ field: z.string(), erased: z.literal(true) }).meta({ description: 'A change of a record deleted since: which field, not its values.' }),
      ]),
    ),
  })
  .meta({ id: 'AuditEntry' });

export const auditQuerySchema = z
  .strictObject({
    actorId: z.string().min(1).max(128).optional().meta({ description: 'Entries made by this user or client.' }),
    recordType: z.enum(auditedTypes).optional(),
    recordId: z.string().min(1).max(200).optional().meta({ description: 'With recordType: entries about this record (for a property: `<objectType>/<name>`).' }),
    limit: pageLimit,
    cursor: pageCursor.optional(),
  })
  .refine((query) => (query.actorId !== undefined) !== (query.recordType !== undefined && query.recordId !== undefined), {
    message: 'send either actorId, or recordType with recordId',
  });

export const auditOperations = {
  readAuditLog: operation({
    routeKey: 'GET /v1/audit',
    operationId: 'readAuditLog',
    summary: 'Audit log by actor or by record, newest first (admins)',
    tag: 'Audit',
    query: auditQuerySchema,
    success: { status: 200, description: 'One page', schema: pageOf(auditEntry, 'AuditPage') },
  }),
};
