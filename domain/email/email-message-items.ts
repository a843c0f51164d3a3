import { emailByProviderId, emailMessageKey, emailsByContact } from '../shared/keys';
import { partitionQueries } from '../shared/key-design';
import type { Clock, CrmTablePort, Item, WriteOp } from '../shared/table-port';
import { updateVersioned } from '../shared/versioned-update';
import type { EmailMessage } from './email-message';
import { storedValue } from '../shared/stored-item';
import { inParallel } from '../shared/in-parallel';
import { untilNoneListed } from '../shared/pagination';

export const emailMessageToItem = (message: EmailMessage): Item => ({
  ...emailMessageKey(message.id),
  entity: 'emailMessage',
  ...message,
  ...emailsByContact.attributes({ contactId: message.contactId }, { createdAt: message.createdAt, messageId: message.id }),
  ...(message.providerMessageId ? emailByProviderId.attributes({ providerMessageId: message.providerMessageId }, { messageId: message.id }) : {}),
});

export const itemToEmailMessage = (item: Item): EmailMessage => storedValue<EmailMessage>(item);

export async function findEmailMessage(table: CrmTablePort, id: string): Promise<EmailMessage | undefined> {
  const item = await table.getItem(emailMessageKey(id));
  return item ? itemToEmailMessage(item) : undefined;
}

/** The email SES gave this id, if the CRM sent it. */
export async function findEmailByProviderId(table: CrmTablePort, providerMessageId: string): Promise<EmailMessage | undefined> {
  const [query] = partitionQueries(emailByProviderId.query({ providerMessageId }));
  const { items } = await table.query(query!, { limit: 1 });
  return items[0] ? itemToEmailMessage(items[0]) : undefined;
}

/**
 * Applies `change` to the stored message under optimistic locking (updateVersioned), so the
 * sender and SES events, writing at the same moment, each re-decide on what the other wrote.
 * Undefined when the message does not exist.
 */
export const updateEmailMessage = (
  deps: { readonly table: CrmTablePort; readonly clock: Clock },
  id: string,
  change: (current: EmailMessage) => Partial<EmailMessage> | undefined,
  known?: EmailMessage,
  alongside?: () => WriteOp[],
) => updateVersioned(deps, { resource: 'email', id, ...(known ? { known } : {}), read: () => findEmailMessage(deps.table, id), toItem: emailMessageToItem, change, ...(alongside ? { alongside } : {}) });

/**
 * A merge's share of a contact's emails: each one sent to `fromId` is listed under `toId`
 * from now on, by a versioned update (an SES report may be writing the same message).
 */
export async function moveEmailsOfContact(deps: { readonly table: CrmTablePort; readonly clock: Clock }, fromId: string, toId: string, alongside: WriteOp): Promise<void> {
  await untilNoneListed(deps.table, emailsByContact.query({ contactId: fromId }), 25, (items) =>
    inParallel(items, 8, (item) => updateEmailMessage(deps, item.id as string, (message) => (message.contactId === fromId ? { contactId: toId } : undefined), undefined, () => [alongside])),
  );
}
