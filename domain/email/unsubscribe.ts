import { ValidationError } from '../shared/errors';
import type { Clock, CrmTablePort } from '../shared/table-port';
import { findEmailMessage, updateEmailMessage } from './email-message-items';
import { suppressAddresses } from './suppression-list';

/**
 * Unsubscribe links name a message, not an address, so no address travels in a URL (and
 * into whatever logs URLs). The adapter signs them with a secret the domain never sees.
 */
export interface UnsubscribeLinks {
  /** The https link that unsubscribes the recipient of this message. */
  urlFor(messageId: string): Promise<string>;
  /** The message id a token was issued for; undefined when the token is altered or not ours. */
  messageIdOf(token: string): Promise<string | undefined>;
}

export interface UnsubscribeDependencies {
  readonly table: CrmTablePort;
  readonly clock: Clock;
  readonly unsubscribeLinks: UnsubscribeLinks;
}

/**
 * A recipient followed an unsubscribe link (or their mail client sent the one-click
 * POST of RFC 8058): their address goes on the suppression list, so no sequence or
 * user emails it again, and running sequences stop before their next step. Repeating
 * it changes nothing. A link whose message is gone (its contact was deleted) has
 * nobody left to email: it succeeds without a change.
 */
export async function unsubscribeByToken(deps: UnsubscribeDependencies, token: string): Promise<{ readonly unsubscribed: boolean }> {
  const messageId = await deps.unsubscribeLinks.messageIdOf(token);
  if (!messageId) throw new ValidationError('This unsubscribe link is not valid: it may have been cut short or altered.', [{ field: 'query.token', message: 'not a valid unsubscribe token' }]);
  const message = await findEmailMessage(deps.table, messageId);
  if (!message) return { unsubscribed: false };
  const now = deps.clock.now().toISOString();
  await suppressAddresses(deps, [message.to], 'unsubscribe', now, `unsubscribe link of message ${messageId}`);
  // The message remembers it, so email reports count unsubscribes per sequence, workflow and template.
  await updateEmailMessage(deps, messageId, (current) => (current.unsubscribedAt ? undefined : { unsubscribedAt: now }), message);
  return { unsubscribed: true };
}
