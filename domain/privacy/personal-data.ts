import { requireCapability } from '../access/permissions';
import { readAuditLog, type AuditView } from '../audit/read-audit-log';
import type { EmailMessage } from '../email/email-message';
import { listContactEmails } from '../email/email-queries';
import type { EmailSuppression } from '../email/suppression';
import { findSuppression } from '../email/suppression-list';
import { contactModel } from '../records/contact';
import { getRecord } from '../records/get-record';
import type { RecordDependencies } from '../records/record-dependencies';
import type { CrmRecord } from '../records/record-model';
import { recordTimeline, type TimelineEntry } from '../records/record-timeline';
import type { Enrollment } from '../sequences/sequence';
import { enrollmentsOfContact } from '../sequences/enrollments';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import type { Page, PageRequest } from '../shared/page';
import { MAX_PAGE_JSON_BYTES } from '../shared/pagination';

/**
 * Everything the CRM holds about one person (a data subject access request), in one
 * document: the contact, its history (field changes and the activities linked to it), the
 * emails sent to and received from them, their sequence enrollments, their suppression
 * entry, and the audit entries about the contact. Each open-ended part is read page by
 * page through the route that lists it, so what the document shows is what those routes
 * show; when the document would pass what one response can carry, a part stops at a page
 * boundary and says where its route goes on (`complete: false`, `next`).
 */

export interface PersonalDataPart<T> {
  readonly items: T[];
  /** Every item is here. */
  readonly complete: boolean;
  /** When not complete: the request that lists the rest, from where this part stopped. */
  readonly next: string | null;
}

export interface PersonalData {
  readonly exportedAt: string;
  readonly contact: CrmRecord;
  readonly history: PersonalDataPart<TimelineEntry>;
  readonly emails: PersonalDataPart<EmailMessage>;
  readonly enrollments: readonly Enrollment[];
  readonly suppression: EmailSuppression | null;
  readonly audit: PersonalDataPart<AuditView>;
  /** Every part is complete. */
  readonly complete: boolean;
}

export type PersonalDataDependencies = RecordDependencies & Pick<CoreDependencies, 'layout'>;

const PART_PAGE_SIZE = 100;

/** The pages of one list while the document's byte budget lasts; a page that does not fit is left to `next`. */
async function partOf<T>(budget: { bytesLeft: number }, route: string, fetchPage: (page: PageRequest) => Promise<Page<T>>): Promise<PersonalDataPart<T>> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage({ limit: PART_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    const bytes = Buffer.byteLength(JSON.stringify(page.items));
    if (bytes > budget.bytesLeft) {
      const separator = route.includes('?') ? '&' : '?';
      return { items, complete: false, next: `${route}${separator}limit=${PART_PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}` };
    }
    budget.bytesLeft -= bytes;
    items.push(...page.items);
    if (!page.nextCursor) return { items, complete: true, next: null };
    cursor = page.nextCursor;
  }
}

/** Admins only: the document holds every field of the contact and every audit detail about it. */
export async function personalDataOf(deps: PersonalDataDependencies, contactId: string, actor: Actor, maxBytes = MAX_PAGE_JSON_BYTES): Promise<PersonalData> {
  requireCapability(actor, 'readAudit', "export a person's data");
  const contact = await getRecord(deps, contactModel, contactId, actor);
  const [enrollments, suppression] = await Promise.all([
    enrollmentsOfContact(deps.table, contactId),
    typeof contact.email === 'string' ? findSuppression(deps.table, contact.email) : Promise.resolve(undefined),
  ]);
  const budget = { bytesLeft: maxBytes - Buffer.byteLength(JSON.stringify({ contact, enrollments, suppression })) };
  // One after the other: the budget is shared, and the earlier parts are the more personal.
  const history = await partOf(budget, `/v1/contacts/${contactId}/timeline`, (page) => recordTimeline(deps, contactModel, contactId, page, actor));
  const emails = await partOf(budget, `/v1/contacts/${contactId}/emails`, (page) => listContactEmails(deps, contactId, page, actor));
  const audit = await partOf(budget, `/v1/audit?recordType=contact&recordId=${contactId}`, (page) => readAuditLog(deps, { recordType: 'contact', recordId: contactId }, page, actor));
  return {
    exportedAt: deps.clock.now().toISOString(),
    contact,
    history,
    emails,
    enrollments,
    suppression: suppression ?? null,
    audit,
    complete: history.complete && emails.complete && audit.complete,
  };
}
