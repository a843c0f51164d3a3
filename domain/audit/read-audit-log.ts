import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { nextCursorOf, queryPage, type PageRequest } from '../shared/cursor';
import { accessPatterns } from '../shared/keys';
import type { CrmTablePort } from '../shared/table-port';
import type { Page } from '../shared/page';
import type { AuditEntry } from './audit-entries';

export type AuditView = Omit<AuditEntry, 'entryId'>;
export type AuditFilter = { readonly actorId: string } | { readonly recordType: AuditEntry['recordType']; readonly recordId: string };

/**
 * The audit log, newest first, by who acted or by what was changed. Read-only by
 * construction: no route or use case writes an entry except as part of the change
 * it records, in the same transaction.
 */
export async function readAuditLog(deps: { table: CrmTablePort }, filter: AuditFilter, page: PageRequest, actor: Actor): Promise<Page<AuditView>> {
  requireCapability(actor, 'readAudit', 'read the audit log');
  const query = 'actorId' in filter ? accessPatterns.auditByActor(filter.actorId) : accessPatterns.auditByRecord(filter.recordType, filter.recordId);
  const result = await queryPage(deps.table, query, page);
  return {
    items: result.items.map((item) => ({
      recordType: item.recordType as AuditView['recordType'],
      recordId: item.recordId as string,
      at: item.at as string,
      event: item.event as AuditView['event'],
      actor: item.actor as Actor,
      changes: item.changes as AuditView['changes'],
    })),
    nextCursor: nextCursorOf(query, result.lastKey),
  };
}
