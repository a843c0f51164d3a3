import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { auditByActor, auditByRecord } from '../shared/keys';
import type { PageRequest } from '../shared/page';
import { listPage } from '../shared/pagination';
import type { CoreDependencies } from '../shared/dependencies';
import type { Page } from '../shared/page';
import { auditEntryOf, type AuditEntry } from './audit-entries';

export type AuditView = Omit<AuditEntry, 'entryId'>;
export type AuditFilter = { readonly actorId: string } | { readonly recordType: AuditEntry['recordType']; readonly recordId: string };

/**
 * The audit log, newest first, by who acted or by what was changed. Read-only by
 * construction: no route or use case writes an entry except as part of the change
 * it records, in the same transaction.
 */
export async function readAuditLog(deps: Pick<CoreDependencies, 'table' | 'layout'>, filter: AuditFilter, page: PageRequest, actor: Actor): Promise<Page<AuditView>> {
  requireCapability(actor, 'readAudit', 'read the audit log');
  const query = 'actorId' in filter ? auditByActor.query({ actorId: filter.actorId }) : auditByRecord.query(filter);
  return listPage(
    deps.table,
    query,
    page,
    (item): AuditView => {
      const { entryId: _entryId, ...view } = auditEntryOf(item);
      return view;
    },
    { readLegacy: await deps.layout.readsLegacyPartitions() },
  );
}
