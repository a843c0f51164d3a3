import { requireCapability } from '../access/permissions';
import type { Page } from '../shared/page';
import type { Actor } from '../shared/actor';
import { NotFoundError } from '../shared/errors';
import { emailsByContact } from '../shared/keys';
import type { PageRequest } from '../shared/page';
import { listPage } from '../shared/pagination';
import type { CrmTablePort } from '../shared/table-port';
import type { EmailMessage } from './email-message';
import { requireRecord } from '../records/get-record';
import { contactModel } from '../records/contact';
import { findEmailMessage, itemToEmailMessage } from './email-message-items';

export async function getEmailMessage(deps: { readonly table: CrmTablePort }, id: string, actor: Actor): Promise<EmailMessage> {
  requireCapability(actor, 'readRecords', 'read emails');
  const message = await findEmailMessage(deps.table, id);
  if (!message) throw new NotFoundError('email', id);
  return message;
}

/** A contact's emails, newest first, with their delivery status. */
export async function listContactEmails(deps: { readonly table: CrmTablePort }, contactId: string, page: PageRequest, actor: Actor): Promise<Page<EmailMessage>> {
  requireCapability(actor, 'readRecords', 'read emails');
  await requireRecord(deps, contactModel, contactId);
  return listPage(deps.table, emailsByContact.query({ contactId }), page, itemToEmailMessage);
}
