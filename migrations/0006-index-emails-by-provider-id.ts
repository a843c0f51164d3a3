import { itemToEmailMessage, emailMessageToItem } from '../domain/email/email-message-items';
import { PreconditionFailedError } from '../domain/shared/errors';
import type { Migration } from './migration';

/**
 * Emails sent before the "email by SES id" index (gsi3) cannot be found from a reply's
 * In-Reply-To, so a reply to them would not stop the contact's sequences. Rewrites each sent
 * email with the keys today's code writes; one changed meanwhile already has them and is
 * skipped. Emails have no list of every one of them, so it scans (offline, once). Safe to run again.
 */
export const indexEmailsByProviderId: Migration = {
  id: '0006-index-emails-by-provider-id',
  description: 'Add SES message id index keys (gsi3) to emails sent before the index existed',
  async run({ table, scan, log }) {
    let changed = 0;
    await scan.forEachPage(async (items) => {
      for (const item of items) {
        if (item.entity !== 'emailMessage' || item.gsi3pk || !item.providerMessageId) continue;
        const message = itemToEmailMessage(item);
        try {
          await table.transactWrite([
            { op: 'put', item: emailMessageToItem(message), condition: { kind: 'liveAtVersion', version: message.version }, onConditionFailed: () => new PreconditionFailedError() },
          ]);
          changed++;
        } catch (error) {
          if (!(error instanceof PreconditionFailedError)) throw error;
        }
      }
    });
    log(`indexed ${changed} email(s) by SES message id`);
    return { changed };
  },
};
