import { requireCapability } from '../access/permissions';
import { activityModel } from '../records/activity';
import { companyModel } from '../records/company';
import { contactModel } from '../records/contact';
import { findRecord, requireRecord } from '../records/get-record';
import { prepareRecord } from '../records/prepare-record';
import type { RecordDependencies } from '../records/record-dependencies';
import type { CrmRecord } from '../records/record-model';
import { planRecordWrite } from '../records/record-writes';
import type { Actor } from '../shared/actor';
import { AlreadyExistsError, ConflictError, CrmError, EmailNotSendableError, IdempotencyKeyReusedError, NotFoundError, PreconditionFailedError, ServiceUnavailableError, ValidationError, type NotSendableReason } from '../shared/errors';
import { emailMessageKey, recordKeys } from '../shared/keys';
import type { WriteOp } from '../shared/table-port';
import { outranks, type EmailMessage, type EmailSource } from './email-message';
import { emailMessageToItem, findEmailMessage, updateEmailMessage } from './email-message-items';
import type { EmailSender } from './email-sender';
import { hasPlaceholders, namesObject, renderTemplate, type TemplateContext } from './email-template';
import { findOwner } from '../owners/owners';
import { findSuppression } from './suppression-list';
import type { UnsubscribeLinks } from './unsubscribe';

export interface EmailDependencies extends RecordDependencies {
  readonly emailSender: EmailSender;
  /** Where a contact's replies to a message go (the stage's inbound domain); without it, to the sender. */
  readonly replyAddressFor?: (emailId: string) => string;
  /** Where unsubscribe links point; without it, automated mail goes out without one (local runs without a public URL). */
  readonly unsubscribeLinks?: Pick<UnsubscribeLinks, 'urlFor'>;
}

export interface EmailToContact {
  readonly contactId: string;
  readonly subject: string;
  readonly text: string;
  /** An HTML body besides the text (from a saved template); the text stays the timeline's record of it. */
  readonly html?: string;
  readonly source: EmailSource;
  /** The saved template the words came from (reports count emails per template). */
  readonly templateId?: string;
  /**
   * Makes the send idempotent: a second call with the same id returns the first
   * message instead of mailing again. Sequences derive it from run and step.
   */
  readonly messageId?: string;
}

/** A live contact with an address that is not suppressed. */
export type SendableContact = CrmRecord & { readonly email: string };

export type Sendability =
  | { readonly sendable: true; readonly contact: SendableContact }
  | { readonly sendable: false; readonly reason: NotSendableReason; readonly detail: string };

/** Whether the contact can be emailed now; undefined when there is no such contact. */
export async function findSendableContact(deps: Pick<RecordDependencies, 'table'>, contactId: string): Promise<Sendability | undefined> {
  const contact = await findRecord(deps, contactModel, contactId);
  if (!contact) return undefined;
  if (typeof contact.email !== 'string') return { sendable: false, reason: 'no-email-address', detail: `Contact ${contactId} has no email address.` };
  const suppression = await findSuppression(deps.table, contact.email);
  if (suppression) return { sendable: false, reason: 'suppressed', detail: `The address of contact ${contactId} is on the suppression list (${suppression.reason}).` };
  return { sendable: true, contact: contact as SendableContact };
}

/** Sends one email to a contact now (the API's send): checks the contact, then see `deliverEmail`. */
export async function sendEmailToContact(deps: EmailDependencies, request: EmailToContact, actor: Actor): Promise<EmailMessage> {
  requireCapability(actor, 'createRecords', 'send email');
  if (request.messageId) {
    const earlier = await findEmailMessage(deps.table, request.messageId);
    if (earlier) {
      // The key outlives the stored response (which expires): a reused key must still name the same email,
      // as it was rendered for the contact (a retry after the contact's name changed is another email).
      const contact = hasPlaceholders(request.subject + request.text) ? await findRecord(deps, contactModel, request.contactId) : undefined;
      const rendered = contact ? { ...request, ...(await personalise(deps, contact, request, { senderId: actor.id })) } : request;
      const same = earlier.contactId === request.contactId && earlier.subject === fitSubject(rendered.subject) && earlier.text === fitText(rendered.text);
      if (!same) throw new IdempotencyKeyReusedError();
      return replayed(earlier);
    }
  }
  const found = await findSendableContact(deps, request.contactId);
  if (!found) {
    // Gone: the 404 says so, naming the survivor if the contact was merged away.
    await requireRecord(deps, contactModel, request.contactId);
    throw new NotFoundError('contact', request.contactId);
  }
  if (!found.sendable) throw new EmailNotSendableError(found.detail, found.reason);
  return deliverEmail(deps, found.contact, { ...request, ...(await personalise(deps, found.contact, request, { senderId: actor.id })) }, actor);
}

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** Besides the contact: the deal an email is about, and the owner it goes out for. */
export interface EmailCircumstances {
  readonly deal?: CrmRecord;
  readonly senderId?: string;
}

/**
 * Subject, text and HTML body with the contact's fields in their placeholders (the HTML's
 * escaped), for every email to a contact: one-off, from a saved template, a sequence step.
 * The contact's company (its primary one, else the first) and the sender's owner entry are
 * read only when a template names one of their fields.
 */
export async function personalise(deps: Pick<RecordDependencies, 'table'>, contact: CrmRecord, content: EmailContent, circumstances: EmailCircumstances = {}): Promise<EmailContent> {
  const words = [content.subject, content.text, content.html];
  const companyId = (contact.primaryCompanyId as string | undefined) ?? (contact.companyIds as readonly string[] | undefined)?.[0];
  const company = companyId && namesObject('company', words) ? await findRecord(deps, companyModel, companyId) : undefined;
  const sender = circumstances.senderId && namesObject('sender', words) ? await findOwner(deps.table, circumstances.senderId) : undefined;
  const context: TemplateContext = { contact, ...(company ? { company } : {}), ...(circumstances.deal ? { deal: circumstances.deal } : {}), ...(sender ? { sender } : {}) };
  return {
    subject: renderTemplate(content.subject, context),
    text: renderTemplate(content.text, context),
    ...(content.html !== undefined ? { html: renderTemplate(content.html, context, { asHtml: true }) } : {}),
  };
}

/**
 * Sends one email to a contact already found sendable, and records it on the contact's timeline.
 *
 * Exactly-once is impossible with a mail service that has no idempotency key, so this is
 * at-most-once: the message is claimed (`sending`) before the service is called, and a
 * retry that finds the claim returns it instead of sending again. The claim is released
 * only when the service said it sent nothing, so the retry may send. A crash between the
 * call and the record leaves the message at `sending` (until an SES event for it arrives):
 * visible, never doubled.
 */
export async function deliverEmail(deps: EmailDependencies, contact: SendableContact, request: EmailToContact, actor: Actor): Promise<EmailMessage> {
  const now = deps.clock.now().toISOString();
  const claimed: EmailMessage = {
    id: request.messageId ?? deps.ids.next(),
    contactId: contact.id,
    to: contact.email,
    // Rendered templates can carry a line break from a name, or outgrow the limits of the email activity.
    subject: fitSubject(request.subject),
    text: fitText(request.text),
    status: 'sending',
    source: request.source,
    ...(request.templateId ? { templateId: request.templateId } : {}),
    sentBy: { type: actor.type, id: actor.id, ...(actor.onBehalfOf ? { onBehalfOf: actor.onBehalfOf } : {}) },
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  // Built (and validated) before the claim, so nothing but storage can fail between claiming and sending, or sending and recording.
  const activityOps = await emailActivityOps(deps, claimed, contact, actor);
  // Automated mail carries an unsubscribe link; a person's one-off email, like any email they write, does not.
  const unsubscribeUrl = request.source.kind !== 'api' ? await deps.unsubscribeLinks?.urlFor(claimed.id) : undefined;
  try {
    await deps.table.transactWrite([
      { op: 'put', item: emailMessageToItem(claimed), condition: { kind: 'absent' }, onConditionFailed: () => new ConflictError('claimed') },
      // A contact deleted meanwhile gets no new message: its sweep could no longer find it.
      { op: 'check', key: recordKeys.record('contact', contact.id), condition: { kind: 'live' }, onConditionFailed: () => new NotFoundError('contact', contact.id) },
    ]);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // An earlier or concurrent call with the same id holds the claim: its message is the answer.
    const earlier = await findEmailMessage(deps.table, claimed.id);
    if (!earlier) throw error;
    return replayed(earlier);
  }

  let providerMessageId: string;
  try {
    ({ providerMessageId } = await deps.emailSender.send({
      to: claimed.to,
      subject: claimed.subject,
      text: claimed.text,
      ...(request.html !== undefined ? { html: request.html } : {}),
      messageId: claimed.id,
      ...(deps.replyAddressFor ? { replyTo: deps.replyAddressFor(claimed.id) } : {}),
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    }));
  } catch (error) {
    if (error instanceof ServiceUnavailableError) await releaseClaim(deps, claimed);
    else if (error instanceof EmailNotSendableError) await updateEmailMessage(deps, claimed.id, () => ({ status: 'rejected', statusDetail: error.message }), claimed);
    throw error;
  }
  return recordSent(deps, claimed, providerMessageId, activityOps);
}

/** An earlier attempt's message is the answer to a retry, unless SES refused it: then the retry is refused too. */
function replayed(message: EmailMessage): EmailMessage {
  if (message.status === 'rejected') throw new EmailNotSendableError(message.statusDetail ?? 'The mail service rejected this email.', 'rejected');
  return message;
}

/** The service took nothing: free the id, so a retry sends. If an SES event moved the message on meanwhile, it went out after all, and stays. */
async function releaseClaim(deps: EmailDependencies, claimed: EmailMessage): Promise<void> {
  try {
    await deps.table.transactWrite([{ op: 'delete', key: emailMessageKey(claimed.id), condition: { kind: 'liveAtVersion', version: claimed.version }, onConditionFailed: () => new ConflictError('moved on') }]);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
}

const MAX_SUBJECT = 200;
const MAX_TEXT = 20_000;
const fitSubject = (subject: string) => clip(subject.replace(/[\u0000-\u001F\u007F]+/g, ' ').trim(), MAX_SUBJECT);
const fitText = (text: string) => clip(text, MAX_TEXT);
const clip = (value: string, max: number) => (value.length <= max ? value : `${value.slice(0, max - 1)}…`);

/**
 * Marks the message sent and puts the email activity (with the message's id) on the
 * contact's timeline, in one transaction. When that fails on a condition (an SES event
 * moved the message on first, or the contact was deleted meanwhile), the two are written
 * apart: the message's outcome is kept in any case, the activity when it still can be.
 */
async function recordSent(deps: EmailDependencies, claimed: EmailMessage, providerMessageId: string, activityOps: readonly WriteOp[]): Promise<EmailMessage> {
  const sent: EmailMessage = { ...claimed, status: 'sent', providerMessageId, updatedAt: deps.clock.now().toISOString(), version: claimed.version + 1 };
  try {
    await deps.table.transactWrite([
      { op: 'put', item: emailMessageToItem(sent), condition: { kind: 'liveAtVersion', version: claimed.version }, onConditionFailed: () => new ConflictError('moved on') },
      ...activityOps,
    ]);
    return sent;
  } catch (error) {
    if (!(error instanceof CrmError)) throw error;
  }
  const settled = await updateEmailMessage(deps, claimed.id, (current) => ({ providerMessageId, ...(outranks('sent', current.status) ? { status: 'sent' as const } : {}) }));
  try {
    await deps.table.transactWrite(activityOps);
  } catch (error) {
    if (!(error instanceof ValidationError || error instanceof PreconditionFailedError || error instanceof AlreadyExistsError)) throw error;
  }
  return settled!;
}

/**
 * The email activity of a message (it has the message's id, so writing it twice fails the
 * second time), owned by the user who sent it, or else by the contact's owner.
 */
async function emailActivityOps(deps: RecordDependencies, message: EmailMessage, contact: CrmRecord, actor: Actor): Promise<WriteOp[]> {
  const now = deps.clock.now().toISOString();
  const ownerId = message.sentBy.type === 'user' ? message.sentBy.id : (contact.ownerId as string | undefined);
  const { record: activity } = await prepareRecord(
    deps,
    activityModel,
    { id: message.id, createdAt: now, version: 1 },
    { kind: 'email', direction: 'outbound', subject: message.subject, body: message.text, occurredAt: message.createdAt, contactIds: [message.contactId], ...(ownerId ? { ownerId } : {}) },
    now,
  );
  return planRecordWrite({ model: activityModel, after: activity, actor, changeId: deps.ids.next() }).ops;
}

/**
 * Finishes a send that never recorded its outcome (the function died between SES taking
 * the mail and the record): the email activity goes on the contact's timeline now, when an
 * SES event proves the mail went out. Writing it is idempotent (it has the message's id),
 * and a contact deleted meanwhile gets none (its sweep removed the message with it).
 */
export async function completeUnrecordedSend(deps: RecordDependencies, message: EmailMessage): Promise<boolean> {
  const contact = await findRecord(deps, contactModel, message.contactId);
  if (!contact) return false;
  // The system finishes what the sender started: its entry says so, on the sender's behalf.
  const actor: Actor = { type: 'system', id: 'email-events', role: 'member', onBehalfOf: message.sentBy.id };
  try {
    await deps.table.transactWrite(await emailActivityOps(deps, message, contact, actor));
    return true;
  } catch (error) {
    if (error instanceof AlreadyExistsError || error instanceof ValidationError) return false;
    throw error;
  }
}
