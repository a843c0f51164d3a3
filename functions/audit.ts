import { createRuntime } from '../adapters/runtime';
import { readAuditLog } from '../domain/audit/read-audit-log';
import { apiHandler } from './http/api-handler';
import { auditOperations } from './http/contract/audit';

const runtime = createRuntime();

export const handler = apiHandler(auditOperations, {
  readAuditLog: async ({ query, actor }) => {
    const { limit, cursor, actorId, recordType, recordId } = query;
    const filter = actorId !== undefined ? { actorId } : { recordType: recordType!, recordId: recordId! };
    return { status: 200, body: await readAuditLog(runtime, filter, { limit, ...(cursor ? { cursor } : {}) }, actor) };
  },
});
