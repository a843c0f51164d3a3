import * as z from '../../../domain/shared/zod';
import { auditedTypes } from '../../../domain/audit/audit-entries';
import { pageLimit } from '../../../domain/records/schema-helpers';
import { operation } from '../api-operation';
import { pageCursor } from '../../../domain/records/schema-helpers';
import { pageOf } from './common';

export const auditEntry = z
  .object({
    recordType: z.enum(auditedTypes),
    recordId: z.string(),
    at: z.string(),
    event: z.enum(['created', 'updated', 'deleted', 'merged']),
    actor: z.object({ type: z.enum(['user', 'client', 'system', 'workflow', 'import']), id: z.string(), role: z.string(), requestId: z.optional(z.string()), onBehalfOf: z.optional(z.string()), depth: z.optional(z.int()) }),
    changes: z.array(
      z.union([
        z.object({ field: z.string(), from: z.unknown(), to: z.unknown() }),
        z.object({ field: z.string(), erased: z.literal(true) }).check(z.meta({ description: 'A change of a record deleted since: which field, not its values.' })),
      ]),
    ),
  })
  .check(z.meta({ id: 'AuditEntry' }));

export const auditQuerySchema = z
  .strictObject({
    actorId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))).check(z.meta({ description: 'Entries made by this user or client.' })),
    recordType: z.optional(z.enum(auditedTypes)),
    recordId: z.optional(z.string().check(z.minLength(1), z.maxLength(200))).check(z.meta({ description: 'With recordType: entries about this record (for a property: `<objectType>/<name>`).' })),
    limit: pageLimit,
    cursor: z.optional(pageCursor),
  })
  .check(
    z.refine((query) => (query.actorId !== undefined) !== (query.recordType !== undefined && query.recordId !== undefined), {
      message: 'send either actorId, or recordType with recordId',
    }),
  );

export const auditOperations = {
  readAuditLog: operation({
    routeKey: 'GET /v1/audit',
    operationId: 'readAuditLog',
    summary: 'Audit log by actor or by record, newest first (admins)',
    adminOnly: true,
    tag: 'Audit',
    query: auditQuerySchema,
    success: { status: 200, description: 'One page', schema: pageOf(auditEntry, 'AuditPage') },
  }),
};
