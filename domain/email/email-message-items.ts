import { ConflictError } from '../shared/errors';
import { keys } from '../shared/keys';
import type { Clock, CrmTablePort, Item } from '../shared/table-port';
import type { EmailMessage } from './email-message';

export const emailMessageToItem = (message: EmailMessage): Item => ({
  ...keys.emailMessage(message.id),
  entity: 'emailMessage',
  ...message,
  ...keys.emailsByContactIndex(message.contactId, message.createdAt, message.id),
});

export function itemToEmailMessage(item: Item): EmailMessage {
  const { pk: _pk, sk: _sk, entity: _entity, gsi2pk: _gsi2pk, gsi2sk: _gsi2sk, ...message } = item;
  return message as unknown as EmailMessage;
}

export async function findEmailMessage(table: CrmTablePort, id: string): Promise<EmailMessage | undefined> {
  const item = await table.getItem(keys.emailMessage(id));
  return item ? itemToEmailMessage(item) : undefined;
}

const MAX_ATTEMPTS = 5;

/**
 * Applies `change` to the stored message under optimistic locking, re-reading and
 * re-applying when someone else (the sender, an SES event) wrote in between. `change`
 * returns undefined when there is nothing to write. `known` skips the first read.
 */
export async function updateEmailMessage(
  deps: { readonly table: CrmTablePort; readonly clock: Clock },
  id: string,
  change: (current: EmailMessage) => Partial<EmailMessage> | undefined,
  known?: EmailMessage,
): Promise<EmailMessage | undefined> {
  let current = known ?? (await findEmailMessage(deps.table, id));
  for (let attempt = 1; current; attempt++) {
    const fields = change(current);
    if (!fields) return current;
    const next: EmailMessage = { ...current, ...fields, updatedAt: deps.clock.now().toISOString(), version: current.version + 1 };
    try {
      await deps.table.transactWrite([
        { op: 'put', item: emailMessageToItem(next), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new ConflictError(`Email ${id} changed meanwhile.`) },
      ]);
      return next;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      current = await findEmailMessage(deps.table, id);
    }
  }
  return undefined;
}
