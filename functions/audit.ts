import { createRuntime } from '../adapters/runtime';
import { readAuditLog, type AuditFilter } from '../domain/audit/read-audit-log';
import { auditOperations } from './http/api-contract';
import { createApiHandler } from './http/api-handler';

const runtime = createRuntime();

export const handler = createApiHandler(auditOperations, {
  readAuditLog: async ({ query, actor }) => {
    const { limit, cursor, ...filter } = query as { limit: number; cursor?: string } & AuditFilter;
    return { status: 200, body: await readAuditLog(runtime, filter, { limit, ...(cursor ? { cursor } : {}) }, actor) };
  },
});
