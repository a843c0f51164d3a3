import type { RecordDependencies } from '../records/record-dependencies';
import { outranks, type EmailMessage, type EmailStatus } from './email-message';
import { updateEmailMessage } from './email-message-items';
import { completeUnrecordedSend } from './send-email';
import { suppressAddresses } from './suppression-list';

/** What the mail service reported about one message, independent of its wire format. */
export interface EmailEvent {
  readonly kind: 'delivered' | 'bounced' | 'complained' | 'rejected';
  /** The CRM's message id (the service echoes the tag the sender set). */
  readonly messageId: string;
  readonly providerMessageId: string;
  /** The recipients the event is about. */
  readonly recipients: readonly string[];
  /** For bounces: the address will never accept mail (SES "Permanent"); transient bounces only update the status. */
  readonly permanent: boolean;
  readonly at: string;
  readonly detail?: string;
}

export type EmailEventOutcome =
  | { readonly outcome: 'unknown-message' }
  | { readonly outcome: 'recorded'; readonly status: EmailStatus; readonly suppressed: readonly string[] };

const statusOf: Record<EmailEvent['kind'], EmailStatus> = { delivered: 'delivered', bounced: 'bounced', complained: 'complained', rejected: 'rejected' };

/**
 * Applies one SES event to the message it is about, and puts hard-bounced and complaining
 * addresses on the suppression list so nothing emails them again. Safe to receive twice
 * and in any order: statuses only move up (email-message.ts), suppressions are put once.
 * Events about messages the CRM did not send (another app on the same account) are ignored.
 * An event for a message still at `sending` means the send went out but never recorded
 * itself: the event completes it (its email activity).
 */
export async function recordEmailEvent(deps: RecordDependencies, event: EmailEvent): Promise<EmailEventOutcome> {
  const status = event.kind === 'bounced' && !event.permanent ? undefined : statusOf[event.kind];
  let unrecorded = false;
  const updated = await updateEmailMessage(deps, event.messageId, (current: EmailMessage) => {
    unrecorded = current.status === 'sending';
    const fields: Partial<EmailMessage> = {
      ...(current.providerMessageId ? {} : { providerMessageId: event.providerMessageId }),
      ...(status && outranks(status, current.status) ? { status, ...(event.detail ? { statusDetail: event.detail } : {}) } : {}),
    };
    return Object.keys(fields).length > 0 ? fields : undefined;
  });
  if (!updated) return { outcome: 'unknown-message' };
  if (unrecorded) await completeUnrecordedSend(deps, updated);

  const suppressFor = event.kind === 'complained' ? 'complaint' : event.kind === 'bounced' && event.permanent ? 'bounce' : undefined;
  const suppressed = suppressFor ? await suppressAddresses(deps, event.recipients, suppressFor, event.at, `message ${event.messageId}`) : [];
  return { outcome: 'recorded', status: updated.status, suppressed };
}
