import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime, type CrmRuntime } from '../../adapters/runtime';
import type { EmailSender, OutgoingEmail } from '../../domain/email/email-sender';
import { recordEmailEvent, type EmailEvent } from '../../domain/email/record-email-event';
import { deliverEmail, findSendableContact, sendEmailToContact, type EmailDependencies, type SendableContact } from '../../domain/email/send-email';
import { activityModel } from '../../domain/records/activity';
import { findRecord } from '../../domain/records/get-record';
import { findSuppression, addSuppression } from '../../domain/email/suppression-list';
import { findEmailMessage } from '../../domain/email/email-message-items';
import { createRecord } from '../../domain/records/create-record';
import { deleteRecord } from '../../domain/records/delete-record';
import { modelOf } from '../../domain/records/record-models';
import { listContactEmails } from '../../domain/email/email-queries';
import { contactModel } from '../../domain/records/contact';
import { recordTimeline } from '../../domain/records/record-timeline';
import { enrollContact, stopEnrollment } from '../../domain/sequences/enrollments';
import { createSequence, updateSequence } from '../../domain/sequences/sequence-use-cases';
import { findEnrollment, updateEnrollment } from '../../domain/sequences/sequence-items';
import { stopSequencesOnOutcome } from '../../domain/sequences/contact-outcomes';
import type { CrmEventDetail } from '../../domain/events/crm-events';
import { dealModel } from '../../domain/records/deal';
import { recordRunFailure, runSequenceStep, startSequenceRun, type SequenceRunState } from '../../domain/sequences/sequence-runs';
import type { Actor } from '../../domain/shared/actor';
import { ConflictError, EmailNotSendableError, NotFoundError, ServiceUnavailableError } from '../../domain/shared/errors';
import { partitionQueries } from '../../domain/shared/key-design';
import { emailsByContact } from '../../domain/shared/keys';
import { createTestTable } from '../support/local-dynamodb';
import { SignedUnsubscribeLinks } from '../../adapters/unsubscribe/signed-unsubscribe-links';
import { unsubscribeByToken } from '../../domain/email/unsubscribe';
import { noteSignedInUser } from '../../domain/owners/owners';

/**
 * The mail service port, recording what it was asked to send. It can be told to fail the
 * next sends the ways the SES adapter reports failures, to test the at-most-once rules.
 */
class RecordingEmailSender implements EmailSender {
  readonly sent: OutgoingEmail[] = [];
  private failures: Error[] = [];
  failNext(...errors: Error[]) {
    this.failures.push(...errors);
  }
  async send(email: OutgoingEmail) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(email);
    return { providerMessageId: `ses-${this.sent.length}` };
  }
  sentTo(address: string) {
    return this.sent.filter((email) => email.to === address);
  }
}

const manager: Actor = { type: 'user', id: 'manager-1', role: 'manager' };
const member: Actor = { type: 'user', id: 'member-1', role: 'member' };

let runtime: CrmRuntime;
let sender: RecordingEmailSender;
let deps: EmailDependencies;
beforeAll(async () => {
  const table = await createTestTable();
  runtime = createRuntime(loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' }));
  sender = new RecordingEmailSender();
  deps = { ...runtime, emailSender: sender };
  // Users records are assigned to below, as if they had signed in.
  for (const id of ['owner-7', 'member-2']) await noteSignedInUser(runtime, { id });
});

let counter = 0;
async function contact(fields: Record<string, unknown> = {}) {
  counter += 1;
  return createRecord(deps, contactModel, { firstName: `Ada${counter}`, email: `ada${counter}@example.com`, ...fields }, member);
}

const event = (kind: EmailEvent['kind'], messageId: string, recipients: string[], permanent = kind !== 'delivered'): EmailEvent => ({
  kind,
  messageId,
  providerMessageId: `provider-${messageId}`,
  recipients,
  permanent,
  at: new Date().toISOString(),
});

describe('sending an email to a contact', () => {
  it('sends once, marks it sent and puts an email activity on the contact timeline', async () => {
    const ada = await contact();
    const message = await sendEmailToContact(deps, { contactId: ada.id, subject: 'Hello', text: 'Hi Ada', source: { kind: 'api' } }, member);
    expect(message).toMatchObject({ status: 'sent', to: ada.email, providerMessageId: expect.stringMatching(/^ses-/), sentBy: { type: 'user', id: 'member-1' } });
    expect(sender.sentTo(ada.email as string)).toEqual([{ to: ada.email, subject: 'Hello', text: 'Hi Ada', messageId: message.id }]);
    const timeline = await recordTimeline(deps, contactModel, ada.id, { limit: 10 }, member);
    expect(timeline.items.find((entry) => entry.kind === 'activity')).toMatchObject({ activity: { id: message.id, kind: 'email', direction: 'outbound', subject: 'Hello' } });
  });

  it('returns the first message when the same message id is sent again, without mailing twice', async () => {
    const ada = await contact();
    const request = { contactId: ada.id, subject: 'Once', text: 'only once', source: { kind: 'api' } as const, messageId: `once-${ada.id}` };
    const [first, second] = await Promise.all([sendEmailToContact(deps, request, member), sendEmailToContact(deps, request, member)]);
    const third = await sendEmailToContact(deps, request, member);
    expect(sender.sentTo(ada.email as string)).toHaveLength(1);
    expect(third.id).toBe(first.id);
    expect(second.id).toBe(first.id);
  });

  it('refuses a message id reused for another email (an Idempotency-Key reused after its stored response expired)', async () => {
    const ada = await contact();
    const request = { contactId: ada.id, subject: 'First', text: 'x', source: { kind: 'api' } as const, messageId: `reuse-${ada.id}` };
    await sendEmailToContact(deps, request, member);
    await expect(sendEmailToContact(deps, { ...request, subject: 'Second' }, member)).rejects.toMatchObject({ code: 'idempotency-key-reused' });
    expect(sender.sentTo(ada.email as string)).toHaveLength(1);
  });

  it('refuses contacts without an address and suppressed addresses with 422', async () => {
    const noEmail = await contact({ email: undefined, lastName: 'Lovelace' });
    await expect(sendEmailToContact(deps, { contactId: noEmail.id, subject: 'x', text: 'y', source: { kind: 'api' } }, member)).rejects.toMatchObject({ code: 'email-not-sendable', reason: 'no-email-address' });
    const unsubscribed = await contact();
    await addSuppression(deps, (unsubscribed.email as string).toUpperCase(), 'unsubscribe', member);
    await expect(sendEmailToContact(deps, { contactId: unsubscribed.id, subject: 'x', text: 'y', source: { kind: 'api' } }, member)).rejects.toMatchObject({ code: 'email-not-sendable', reason: 'suppressed' });
    expect(sender.sentTo(unsubscribed.email as string)).toEqual([]);
  });

  it('releases the claim when the mail service sent nothing, so a retry sends', async () => {
    const ada = await contact();
    const request = { contactId: ada.id, subject: 'Retry', text: 'later', source: { kind: 'api' } as const, messageId: `retry-${ada.id}` };
    sender.failNext(new ServiceUnavailableError('throttled'));
    await expect(sendEmailToContact(deps, request, member)).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(await findEmailMessage(deps.table, request.messageId)).toBeUndefined();
    expect((await sendEmailToContact(deps, request, member)).status).toBe('sent');
    expect(sender.sentTo(ada.email as string)).toHaveLength(1);
  });

  it('keeps a message whose outcome is unknown at sending, and never sends it again', async () => {
    const ada = await contact();
    const request = { contactId: ada.id, subject: 'Unknown', text: 'timeout', source: { kind: 'api' } as const, messageId: `unknown-${ada.id}` };
    sender.failNext(new Error('socket hang up'));
    await expect(sendEmailToContact(deps, request, member)).rejects.toThrow('socket hang up');
    const retried = await sendEmailToContact(deps, request, member);
    expect(retried.status).toBe('sending');
    expect(sender.sentTo(ada.email as string)).toEqual([]);
    // An SES event for it settles what happened, and completes what the send could not: the email activity.
    await recordEmailEvent(deps, event('delivered', request.messageId, [ada.email as string]));
    expect(await findEmailMessage(deps.table, request.messageId)).toMatchObject({ status: 'delivered', providerMessageId: `provider-${request.messageId}` });
    const timeline = await recordTimeline(deps, contactModel, ada.id, { limit: 10 }, member);
    expect(timeline.items.filter((entry) => entry.kind === 'activity' && entry.activity?.id === request.messageId)).toHaveLength(1);
    expect(timeline.items.find((entry) => entry.kind === 'activity')).toMatchObject({ activity: { kind: 'email', subject: 'Unknown', ownerId: member.id } });
    // A second event changes nothing more.
    await recordEmailEvent(deps, event('delivered', request.messageId, [ada.email as string]));
    expect((await recordTimeline(deps, contactModel, ada.id, { limit: 10 }, member)).items.filter((entry) => entry.kind === 'activity')).toHaveLength(1);
  });

  it('keeps an SES event that arrives before the send is recorded, and still writes the activity', async () => {
    const ada = await contact();
    const racingSender: EmailSender = {
      async send(email) {
        await recordEmailEvent(deps, event('delivered', email.messageId, [email.to]));
        return { providerMessageId: `provider-${email.messageId}` };
      },
    };
    const message = await sendEmailToContact({ ...deps, emailSender: racingSender }, { contactId: ada.id, subject: 'Fast', text: 'delivered at once', source: { kind: 'api' } }, member);
    expect(message).toMatchObject({ status: 'delivered', version: 3 });
    const timeline = await recordTimeline(deps, contactModel, ada.id, { limit: 10 }, member);
    expect(timeline.items.some((entry) => entry.kind === 'activity' && entry.activity?.id === message.id)).toBe(true);
  });

  it('marks a message the service rejected for good as rejected', async () => {
    const ada = await contact();
    sender.failNext(new EmailNotSendableError('Email address is not verified.', 'rejected'));
    await expect(sendEmailToContact(deps, { contactId: ada.id, subject: 'x', text: 'y', source: { kind: 'api' }, messageId: `rejected-${ada.id}` }, member)).rejects.toMatchObject({ reason: 'rejected' });
    expect(await findEmailMessage(deps.table, `rejected-${ada.id}`)).toMatchObject({ status: 'rejected', statusDetail: 'Email address is not verified.' });
    // A retry of the same message is refused the same way, so a sequence step stops instead of moving on.
    await expect(sendEmailToContact(deps, { contactId: ada.id, subject: 'x', text: 'y', source: { kind: 'api' }, messageId: `rejected-${ada.id}` }, member)).rejects.toMatchObject({ reason: 'rejected' });
  });

  it("deletes a contact's emails with the contact: they hold its address and what it was told", async () => {
    const ada = await contact();
    const first = await sendEmailToContact(deps, { contactId: ada.id, subject: 'One', text: 'x', source: { kind: 'api' } }, member);
    const second = await sendEmailToContact(deps, { contactId: ada.id, subject: 'Two', text: 'y', source: { kind: 'api' } }, member);
    expect(await deleteRecord(deps, modelOf, contactModel, ada.id, { actor: manager })).toBe('deleted');
    expect(await findEmailMessage(deps.table, first.id)).toBeUndefined();
    expect(await findEmailMessage(deps.table, second.id)).toBeUndefined();
    // Nothing is listed under the contact any more (the list itself is a 404, as the contact is).
    const [listed] = partitionQueries(emailsByContact.query({ contactId: ada.id }));
    expect((await deps.table.query(listed!, { limit: 10 })).items).toEqual([]);
    await expect(listContactEmails(deps, ada.id, { limit: 10 }, member)).rejects.toBeInstanceOf(NotFoundError);
    // The email activities (same ids) held the subject and text too.
    expect(await findRecord(deps, activityModel, first.id)).toBeUndefined();
    expect(await findRecord(deps, activityModel, second.id)).toBeUndefined();
  });

  it('gets no message when the contact is deleted between the check and the claim', async () => {
    const ada = await contact();
    const found = await findSendableContact(deps, ada.id);
    await deleteRecord(deps, modelOf, contactModel, ada.id, { actor: manager });
    await expect(deliverEmail(deps, (found as { contact: SendableContact }).contact, { contactId: ada.id, subject: 'Late', text: 'x', source: { kind: 'api' }, messageId: `late-${ada.id}` }, member)).rejects.toMatchObject({ code: 'not-found' });
    expect(await findEmailMessage(deps.table, `late-${ada.id}`)).toBeUndefined();
    expect(sender.sentTo(ada.email as string)).toEqual([]);
  });

  it('keeps a rendered subject on one line and the text within the limits of its activity', async () => {
    const ada = await contact();
    const message = await sendEmailToContact(deps, { contactId: ada.id, subject: `Hi\nthere ${'x'.repeat(300)}`, text: 'y'.repeat(25_000), source: { kind: 'api' } }, member);
    expect(message.subject).toMatch(/^Hi there x+…$/);
    expect(message.subject).toHaveLength(200);
    expect(message.text).toHaveLength(20_000);
    expect(message.status).toBe('sent');
  });
});

describe('SES events', () => {
  it('moves the status forward only, whatever order and however often events arrive', async () => {
    const ada = await contact();
    const message = await sendEmailToContact(deps, { contactId: ada.id, subject: 'x', text: 'y', source: { kind: 'api' } }, member);
    await recordEmailEvent(deps, event('complained', message.id, [ada.email as string]));
    await recordEmailEvent(deps, event('delivered', message.id, [ada.email as string]));
    await recordEmailEvent(deps, event('complained', message.id, [ada.email as string]));
    expect(await findEmailMessage(deps.table, message.id)).toMatchObject({ status: 'complained', version: 3 });
    expect(await findSuppression(deps.table, ada.email as string)).toMatchObject({ reason: 'complaint', detail: `message ${message.id}` });
  });

  it('suppresses hard bounces, not soft ones, and ignores messages the CRM did not send', async () => {
    const soft = await contact();
    const softMessage = await sendEmailToContact(deps, { contactId: soft.id, subject: 'x', text: 'y', source: { kind: 'api' } }, member);
    expect(await recordEmailEvent(deps, event('bounced', softMessage.id, [soft.email as string], false))).toEqual({ outcome: 'recorded', status: 'sent', suppressed: [] });
    expect(await findSuppression(deps.table, soft.email as string)).toBeUndefined();

    const hard = await contact();
    const hardMessage = await sendEmailToContact(deps, { contactId: hard.id, subject: 'x', text: 'y', source: { kind: 'api' } }, member);
    expect(await recordEmailEvent(deps, event('bounced', hardMessage.id, [hard.email as string]))).toEqual({ outcome: 'recorded', status: 'bounced', suppressed: [hard.email] });
    expect(await recordEmailEvent(deps, event('bounced', hardMessage.id, [hard.email as string]))).toEqual({ outcome: 'recorded', status: 'bounced', suppressed: [] });

    expect(await recordEmailEvent(deps, event('bounced', 'not-ours', ['x@example.com']))).toEqual({ outcome: 'unknown-message' });
    expect(await findSuppression(deps.table, 'x@example.com')).toBeUndefined();
  });
});

describe('unsubscribe links', () => {
  it('sign a message id with a secret the deployment creates once, and refuse altered tokens', async () => {
    // Two containers starting at once agree on one secret.
    const [one, other] = [new SignedUnsubscribeLinks(deps.table, 'https://crm.example.com/'), new SignedUnsubscribeLinks(deps.table, 'https://crm.example.com')];
    const [url, sameUrl] = await Promise.all([one.urlFor('MSG-1'), other.urlFor('MSG-1')]);
    expect(url).toBe(sameUrl);
    expect(url).toMatch(/^https:\/\/crm\.example\.com\/unsubscribe\?token=MSG-1\.[A-Za-z0-9_-]{32}$/);
    const token = new URL(url).searchParams.get('token')!;
    expect(await other.messageIdOf(token)).toBe('MSG-1');
    expect(await other.messageIdOf(token.replace('MSG-1', 'MSG-2'))).toBeUndefined();
    // A changed last character (to another one: a signature may end in x itself).
    expect(await other.messageIdOf(`${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`)).toBeUndefined();
    expect(await other.messageIdOf('no-signature')).toBeUndefined();
  });

  it('put the recipient of the message on the suppression list, once, and stop the sequence before its next step', async () => {
    const links = new SignedUnsubscribeLinks(deps.table, 'https://crm.example.com');
    const linked = { ...deps, unsubscribeLinks: links };
    const sequence = await createSequence(deps, { name: 'Newsletter', steps: [{ delayMinutes: 0, subject: 'One', text: 'x' }, { delayMinutes: 0, subject: 'Two', text: 'y' }] }, manager);
    const ada = await contact();
    const enrollment = await enrollContact(deps, sequence.id, ada.id, member);
    const afterFirst = await runSequenceStep(linked, { sequenceId: sequence.id, contactId: ada.id, runId: enrollment.runId, stepIndex: 0 });
    const [sent] = sender.sentTo(ada.email as string);
    expect(sent!.unsubscribeUrl).toBe(await links.urlFor(sent!.messageId));

    const token = new URL(sent!.unsubscribeUrl!).searchParams.get('token')!;
    const context = { table: deps.table, clock: deps.clock, unsubscribeLinks: links };
    expect(await unsubscribeByToken(context, token)).toEqual({ unsubscribed: true });
    expect(await unsubscribeByToken(context, token)).toEqual({ unsubscribed: true });
    expect(await findSuppression(deps.table, ada.email as string)).toMatchObject({ reason: 'unsubscribe', detail: `unsubscribe link of message ${sent!.messageId}` });
    // The message remembers the first unsubscribe (email reports count it), and a second changes nothing.
    const unsubscribed = await findEmailMessage(deps.table, sent!.messageId);
    expect(unsubscribed).toMatchObject({ unsubscribedAt: expect.any(String), version: expect.any(Number) });
    await unsubscribeByToken(context, token);
    expect(await findEmailMessage(deps.table, sent!.messageId)).toEqual(unsubscribed);
    expect(await runSequenceStep(linked, afterFirst)).toMatchObject({ outcome: 'stopped', done: true });
    await expect(unsubscribeByToken(context, `${token}x`)).rejects.toMatchObject({ code: 'validation-failed' });
  });

  it('are left out of email a person sends', async () => {
    const ada = await contact();
    await sendEmailToContact({ ...deps, unsubscribeLinks: new SignedUnsubscribeLinks(deps.table, 'https://crm.example.com') }, { contactId: ada.id, subject: 'Hi', text: 'x', source: { kind: 'api' } }, member);
    expect(sender.sentTo(ada.email as string)[0]!.unsubscribeUrl).toBeUndefined();
  });
});

describe('follow-up sequences', () => {
  const twoSteps = {
    name: 'Trial follow-up',
    steps: [
      { delayMinutes: 0, subject: 'Welcome {{firstName}}', text: 'Hi {{firstName | there}}, thanks for trying us.' },
      { delayMinutes: 60 * 24 * 3, subject: 'How is it going?', text: 'Any questions, {{fullName}}?' },
    ],
  };

  /** Runs a run the way the state machine does: start, then send steps until done. */
  async function runToEnd(start: SequenceRunState) {
    const outcomes: string[] = [];
    let state = start;
    while (!state.done) {
      const next = await runSequenceStep(deps, state);
      outcomes.push(next.outcome);
      state = next;
    }
    return outcomes;
  }

  async function enrolledRun(sequenceId: string, contactId: string, actor: Actor = member): Promise<SequenceRunState> {
    const enrollment = await enrollContact(deps, sequenceId, contactId, actor);
    const started: SequenceRunState[] = [];
    expect(await startSequenceRun({ table: deps.table, runStarter: { start: async (run) => void started.push(run) } }, enrollment)).toBe('started');
    return started[0]!;
  }

  it('sends every step personalised, then completes the enrollment', async () => {
    const sequence = await createSequence(deps, twoSteps, manager);
    const ada = await contact({ lastName: 'Lovelace' });
    const start = await enrolledRun(sequence.id, ada.id);
    expect(start).toMatchObject({ stepIndex: 0, waitSeconds: 0, done: false });
    expect(await runToEnd(start)).toEqual(['sent', 'sent']);
    expect(sender.sentTo(ada.email as string).map((email) => [email.subject, email.text])).toEqual([
      [`Welcome ${ada.firstName}`, `Hi ${ada.firstName}, thanks for trying us.`],
      ['How is it going?', `Any questions, ${ada.firstName} Lovelace?`],
    ]);
    expect(await findEnrollment(deps.table, sequence.id, ada.id)).toMatchObject({ status: 'completed', nextStep: 2 });
  });

  it('plans the wait before each step from the sequence', async () => {
    const sequence = await createSequence(deps, twoSteps, manager);
    const ada = await contact();
    const start = await enrolledRun(sequence.id, ada.id);
    expect(await runSequenceStep(deps, start)).toMatchObject({ outcome: 'sent', stepIndex: 1, waitSeconds: 3 * 24 * 3600, done: false });
  });

  it('waits for the next opening of the sequence\'s sending hours instead of sending outside them', async () => {
    const sequence = await createSequence(deps, { ...twoSteps, sendingHours: { timeZone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' } }, manager);
    const ada = await contact();
    const start = await enrolledRun(sequence.id, ada.id);
    // Saturday 2026-03-07 12:00 UTC: the next opening is Monday 09:00 in Berlin, 08:00 UTC.
    const saturday = { ...deps, clock: { now: () => new Date('2026-03-07T12:00:00.000Z'), sleep: async () => {} } };
    expect(await runSequenceStep(saturday, start)).toMatchObject({ outcome: 'waiting', stepIndex: 0, waitSeconds: 44 * 3600, done: false });
    expect(sender.sentTo(ada.email as string)).toEqual([]);
    const monday = { ...deps, clock: { now: () => new Date('2026-03-09T08:00:00.000Z'), sleep: async () => {} } };
    expect(await runSequenceStep(monday, start)).toMatchObject({ outcome: 'sent', stepIndex: 1 });
    expect(sender.sentTo(ada.email as string)).toHaveLength(1);
  });

  it('stops runs on a won deal only while the deal is still won, and only runs enrolled before the win', async () => {
    const sequence = await createSequence(deps, twoSteps, manager);
    const [early, late] = [await contact(), await contact()];
    await enrolledRun(sequence.id, early.id);
    const deal = await createRecord(deps, dealModel, { name: 'Won', contactIds: [early.id, late.id], stageId: 'closed_won' }, manager);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await enrolledRun(sequence.id, late.id);
    const won = { type: 'deal.won', recordType: 'deal', recordId: deal.id, occurredAt: deal.updatedAt, actor: { type: 'user', id: 'manager-1' } } as unknown as CrmEventDetail;

    const { stopped } = await stopSequencesOnOutcome(deps, won);
    expect(stopped.map((enrollment) => enrollment.contactId)).toEqual([early.id]);
    expect(await findEnrollment(deps.table, sequence.id, early.id)).toMatchObject({ status: 'stopped', stopReason: 'deal-won' });
    // Enrolled after the win: a late or replayed event is not about this run.
    expect(await findEnrollment(deps.table, sequence.id, late.id)).toMatchObject({ status: 'active' });

    // Reopened since: the event (late, or forged) stops nothing.
    const other = await contact();
    await enrolledRun(sequence.id, other.id);
    const reopened = await createRecord(deps, dealModel, { name: 'Reopened', contactIds: [other.id], stageId: 'contract_sent' }, manager);
    expect((await stopSequencesOnOutcome(deps, { ...won, recordId: reopened.id, occurredAt: new Date().toISOString() } as CrmEventDetail)).stopped).toEqual([]);
  });

  it("creates a task step's task once for the contact's owner, however often the step is retried, and sends nothing", async () => {
    const sequence = await createSequence(
      deps,
      { name: 'Call them', steps: [{ delayMinutes: 0, task: { subject: 'Call {{firstName}}', text: 'About {{company.name | their plans}}', dueInMinutes: 60 } }] },
      manager,
    );
    counter += 1;
    const ada = await createRecord(deps, contactModel, { firstName: `Ada${counter}`, email: `ada${counter}@example.com`, ownerId: 'owner-7' }, manager);
    const start = await enrolledRun(sequence.id, ada.id);
    expect(await runSequenceStep(deps, start)).toMatchObject({ outcome: 'task', done: true });
    // As if the step crashed after making the task but before advancing the enrollment: the retry finds the task.
    const enrollment = (await findEnrollment(deps.table, sequence.id, ada.id))!;
    await updateEnrollment(deps, enrollment, () => ({ status: 'active', nextStep: 0 }));
    expect(await runSequenceStep(deps, start)).toMatchObject({ outcome: 'task', done: true });
    const taskId = `${start.runId}-0-t0`;
    const task = await findRecord(deps, activityModel, taskId);
    expect(task).toMatchObject({ kind: 'task', subject: `Call ${ada.firstName}`, body: 'About their plans', assigneeId: 'owner-7', ownerId: 'owner-7', taskStatus: 'open', contactIds: [ada.id], version: 1 });
    expect(Date.parse(task!.dueAt as string) - Date.parse(task!.createdAt)).toBeGreaterThanOrEqual(60 * 60_000 - 1_000);
    expect(sender.sentTo(ada.email as string)).toEqual([]);
    expect(await findEnrollment(deps.table, sequence.id, ada.id)).toMatchObject({ status: 'completed' });
  });

  it('does not send a step twice when Step Functions retries it after it succeeded', async () => {
    const sequence = await createSequence(deps, twoSteps, manager);
    const ada = await contact();
    const start = await enrolledRun(sequence.id, ada.id);
    await runSequenceStep(deps, start);
    expect(await runSequenceStep(deps, start)).toMatchObject({ outcome: 'resumed', stepIndex: 1, done: false });
    expect(sender.sentTo(ada.email as string)).toHaveLength(1);
  });

  it('stops before the next step when the enrollment is stopped, the address suppressed or the sequence archived', async () => {
    const sequence = await createSequence(deps, twoSteps, manager);
    const [stopped, suppressed, archived] = [await contact(), await contact(), await contact()];
    const runs = [await enrolledRun(sequence.id, stopped.id), await enrolledRun(sequence.id, suppressed.id), await enrolledRun(sequence.id, archived.id)];
    const afterFirst = await Promise.all(runs.map((run) => runSequenceStep(deps, run)));

    await stopEnrollment(deps, sequence.id, stopped.id, member);
    expect(await runSequenceStep(deps, afterFirst[0]!)).toMatchObject({ outcome: 'stale', done: true });

    await addSuppression(deps, suppressed.email as string, 'unsubscribe', member);
    expect(await runSequenceStep(deps, afterFirst[1]!)).toMatchObject({ outcome: 'stopped', done: true });
    expect(await findEnrollment(deps.table, sequence.id, suppressed.id)).toMatchObject({ status: 'stopped', stopReason: 'suppressed' });

    const other = await createSequence(deps, twoSteps, manager);
    const otherRun = await enrolledRun(other.id, archived.id);
    await updateSequence(deps, other.id, { status: 'archived' }, manager);
    expect(await runSequenceStep(deps, otherRun)).toMatchObject({ outcome: 'stopped', done: true });
    expect(await findEnrollment(deps.table, other.id, archived.id)).toMatchObject({ status: 'stopped', stopReason: 'sequence-archived' });
    for (const person of [stopped, suppressed]) expect(sender.sentTo(person.email as string)).toHaveLength(1);
  });

  it('allows one active enrollment per contact, and a new run after the last one ended', async () => {
    const sequence = await createSequence(deps, twoSteps, manager);
    const ada = await contact();
    const first = await enrollContact(deps, sequence.id, ada.id, member);
    await expect(enrollContact(deps, sequence.id, ada.id, member)).rejects.toBeInstanceOf(ConflictError);
    await stopEnrollment(deps, sequence.id, ada.id, member);
    const second = await enrollContact(deps, sequence.id, ada.id, member);
    expect(second.runId).not.toBe(first.runId);
    // The old run's remaining steps find a newer run and end without sending.
    expect(await runSequenceStep(deps, { sequenceId: sequence.id, contactId: ada.id, runId: first.runId, stepIndex: 0 })).toMatchObject({ outcome: 'stale' });
    expect(await startSequenceRun({ table: deps.table, runStarter: { start: async () => {} } }, first)).toBe('stale');
  });

  it('records a run that gave up as failed, with the error', async () => {
    const sequence = await createSequence(deps, twoSteps, manager);
    const ada = await contact();
    const start = await enrolledRun(sequence.id, ada.id);
    await recordRunFailure(deps, start, 'ServiceUnavailableError');
    expect(await findEnrollment(deps.table, sequence.id, ada.id)).toMatchObject({ status: 'failed', lastError: 'ServiceUnavailableError' });
  });

  it('lets only managers write sequences; members enroll any contact, as they may email it; viewers neither', async () => {
    await expect(createSequence(deps, twoSteps, member)).rejects.toMatchObject({ code: 'forbidden' });
    const sequence = await createSequence(deps, twoSteps, manager);
    const someoneElses = await createRecord(deps, contactModel, { email: 'owned-by-other@example.com', ownerId: 'member-2' }, manager);
    await expect(enrollContact(deps, sequence.id, someoneElses.id, { type: 'user', id: 'viewer-1', role: 'viewer' })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await enrollContact(deps, sequence.id, someoneElses.id, member)).toMatchObject({ status: 'active', enrolledBy: member.id });
    // Stopping what someone else started takes a manager.
    await expect(stopEnrollment(deps, sequence.id, someoneElses.id, { type: 'user', id: 'member-2', role: 'member' })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('resumes a failed run where it failed when the contact is enrolled again, so nothing is sent twice', async () => {
    const sequence = await createSequence(deps, twoSteps, manager);
    const ada = await contact();
    const start = await enrolledRun(sequence.id, ada.id);
    const afterFirst = await runSequenceStep(deps, start);
    await recordRunFailure(deps, afterFirst, 'ServiceUnavailableError');
    const resumed = await enrolledRun(sequence.id, ada.id);
    expect(resumed).toMatchObject({ stepIndex: 1, waitSeconds: 0, done: false });
    expect(resumed.runId).not.toBe(start.runId);
    expect(await runToEnd(resumed)).toEqual(['sent']);
    expect(sender.sentTo(ada.email as string).map((email) => email.subject)).toEqual([`Welcome ${ada.firstName}`, 'How is it going?']);
    expect(await findEnrollment(deps.table, sequence.id, ada.id)).toMatchObject({ status: 'completed', starting: false });
  });
});
