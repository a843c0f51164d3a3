import { requireCapability } from '../access/permissions';
import { activityModel } from '../records/activity';
import { contactModel } from '../records/contact';
import { findRecord } from '../records/get-record';
import { prepareRecord } from '../records/prepare-record';
import type { RecordDependencies } from '../records/record-dependencies';
import { planRecordWrite } from '../records/record-writes';
import type { Actor } from '../shared/actor';
import { ConflictError, EmailNotSendableError, NotFoundError, PreconditionFailedError, ServiceUnavailableError, ValidationError } from '../shared/errors';
import { keys } from '../shared/keys';
import { outranks, type EmailMessage, type EmailSource } from './email-message';
import { emailMessageToItem, findEmailMessage, updateEmailMessage } from './email-message-items';
import type { EmailSender } from './email-sender';
import { findSuppression } from './suppression-list';

export interface EmailDependencies extends RecordDependencies {
  readonly emailSender: EmailSender;
}

export interface EmailToContact {
  readonly contactId: string;
  readonly subject: string;
  readonly text: string;
  readonly source: EmailSource;
  /**
   * Makes the send idempotent: a second call with the same id returns the first
   * message instead of mailing again. Sequences derive it from run and step.
   */
  readonly messageId?: string;
}

/**
 * Sends one email to a contact and records it on the contact's timeline.
 *
 * Exactly-once is impossible with a mail service that has no idempotency key, so this is
 * at-most-once: the message is claimed (`sending`) before the service is called, and a
 * retry that finds the claim returns it instead of sending again. The claim is released
 * only when the service said it sent nothing, so the retry may send. A crash between the
 * call and the record leaves the message at `sending` (until an SES event for it arrives):
 * visible, never doubled.
 */
export async function sendEmailToContact(deps: EmailDependencies, request: EmailToContact, actor: Actor): Promise<EmailMessage> {
  requireCapability(actor, 'createRecords', 'send email');
  if (request.messageId) {
    const earlier = await findEmailMessage(deps.table, request.messageId);
    if (earlier) return earlier;
  }
  const contact = await findRecord(deps, contactModel, request.contactId);
  if (!contact) throw new NotFoundError('contact', request.contactId);
  const to = contact.email as string | undefined;
  if (!to) throw new EmailNotSendableError(`Contact ${contact.id} has no email address.`, 'no-email-address');
  const suppression = await findSuppression(deps.table, to);
  if (suppression) throw new EmailNotSendableError(`The address of contact ${contact.id} is on the suppression list (${suppression.reason}).`, 'suppressed');

  const now = deps.clock.now().toISOString();
  const claimed: EmailMessage = {
    id: request.messageId ?? deps.ids.next(),
    contactId: contact.id,
    to,
    subject: request.subject,
    text: request.text,
    status: 'sending',
    source: request.source,
    sentBy: { type: actor.type, id: actor.id },
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  try {
    await deps.table.transactWrite([{ op: 'put', item: emailMessageToItem(claimed), condition: { kind: 'absent' }, onConditionFailed: () => new ConflictError('claimed') }]);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // A concurrent call with the same id won the claim: its message is the answer.
    return (await findEmailMessage(deps.table, claimed.id))!;
  }

  let providerMessageId: string;
  try {
    ({ providerMessageId } = await deps.emailSender.send({ to, subject: claimed.subject, text: claimed.text, messageId: claimed.id }));
  } catch (error) {
    if (error instanceof ServiceUnavailableError) {
      await deps.table.transactWrite([{ op: 'delete', key: keys.emailMessage(claimed.id), condition: { kind: 'liveAtVersion', version: claimed.version } }]);
    } else if (error instanceof EmailNotSendableError) {
      await updateEmailMessage(deps, claimed.id, () => ({ status: 'rejected', statusDetail: error.message }), claimed);
    }
    throw error;
  }

  const sent = await updateEmailMessage(
    deps,
    claimed.id,
    // An SES event may already have moved the message on (delivered within milliseconds).
    (current) => ({ providerMessageId, ...(outranks('sent', current.status) ? { status: 'sent' as const } : {}) }),
    claimed,
  );
  await recordEmailActivity(deps, claimed, contact.ownerId as string | undefined, actor);
  return sent!;
}

/**
 * The email as an activity on the contact's timeline, with the message's id, so a retry
 * writes it at most once. Skipped when the contact was deleted since the send began:
 * the message record keeps what was sent.
 */
async function recordEmailActivity(deps: EmailDependencies, message: EmailMessage, contactOwnerId: string | undefined, actor: Actor): Promise<void> {
  const now = deps.clock.now().toISOString();
  const ownerId = actor.type === 'user' ? actor.id : contactOwnerId;
  const { record: activity } = await prepareRecord(
    deps,
    activityModel,
    { id: message.id, createdAt: now, version: 1 },
    { kind: 'email', direction: 'outbound', subject: message.subject, body: message.text, occurredAt: now, contactIds: [message.contactId], ...(ownerId ? { ownerId } : {}) },
    now,
  );
  const { ops } = planRecordWrite({ model: activityModel, after: activity, actor, changeId: deps.ids.next() });
  try {
    await deps.table.transactWrite(ops);
  } catch (error) {
    if (!(error instanceof ValidationError || error instanceof PreconditionFailedError)) throw error;
  }
}
