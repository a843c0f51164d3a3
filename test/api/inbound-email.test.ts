import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSubject } from '../../local/local-jwt';
import { LOCAL_INBOUND_DOMAIN } from '../../local/smtp-local';
import { eventually } from '../support/eventually';
import { mailTo, type StoredEmail } from '../support/local-mail';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Inbound email end to end on the local runtime: a sequence email goes out through the local
 * SES with a Reply-To at the inbound domain; a reply is sent over SMTP (nodemailer) to the local
 * server that plays SES receiving, which stores it in the local S3 and runs the inbound function
 * on it. Sequence waits are capped at 4 s: the reply has to stop the run before its next step.
 */

const manager: TokenSubject = { kind: 'user', id: 'inbound-manager', role: 'manager' };
let api: TestApi;
let smtp: Transporter;
beforeAll(async () => {
  api = await startTestApi({ automations: true, maxWaitSeconds: 4 });
  smtp = nodemailer.createTransport({ host: '127.0.0.1', port: api.automations!.smtpPort, secure: false, ignoreTLS: true });
});
afterAll(async () => {
  smtp.close();
  await api.close();
});

type Enrollment = { status: string; stopReason?: string; nextStep: number };
type TimelineEntry = { kind: string; activity?: { kind: string; direction?: string; subject?: string; body?: string; email?: Record<string, unknown>; dealIds?: string[]; companyIds?: string[] } };

let counter = 0;
/** A contact with a company and an open deal, enrolled in a two-step sequence whose first email has gone out. */
async function enrolledContact() {
  counter += 1;
  const email = `lead-${counter}-${Date.now()}@customer.example`;
  const company = (await api.request<{ id: string }>('POST', '/v1/companies', { body: { name: `Customer ${counter}`, domain: `customer-${counter}-${Date.now()}.example` } })).json!.id;
  const contact = (await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Lena', email, companyIds: [company] } })).json!.id;
  const deal = (await api.request<{ id: string }>('POST', '/v1/deals', { body: { name: `Deal ${counter}`, contactIds: [contact] } })).json!.id;
  const sequence = (
    await api.request<{ id: string }>('POST', '/v1/sequences', {
      body: { name: `Follow-up ${counter}`, steps: [{ delayMinutes: 0, subject: 'Quick question', text: 'Hi {{firstName}}, got a minute?' }, { delayMinutes: 1_440, subject: 'Following up', text: 'Just checking in.' }] },
      as: manager,
    })
  ).json!.id;
  expect((await api.request('POST', `/v1/sequences/${sequence}/enrollments`, { body: { contactId: contact }, as: manager })).status).toBe(201);
  const [first] = await eventually(() => mailTo(email), (mail) => mail.length === 1, 'the first sequence email');
  return { email, company, contact, deal, sequence, first: first! };
}

const enrollmentOf = async (sequence: string, contact: string) => (await api.request<Enrollment>('GET', `/v1/sequences/${sequence}/enrollments/${contact}`)).json!;
const timelineOf = async (contact: string) => (await api.request<{ items: TimelineEntry[] }>('GET', `/v1/contacts/${contact}/timeline`)).json!.items;
const inboundActivities = async (contact: string) => (await timelineOf(contact)).filter((entry) => entry.activity?.kind === 'email' && entry.activity.direction === 'inbound');
const replyTo = (mail: StoredEmail) => (mail as unknown as { replyTo: string[] }).replyTo;

describe('inbound email', () => {
  it('stops the sequence when the contact replies, before its next step, and logs the reply on contact, company and deal', async () => {
    const { email, company, contact, deal, sequence, first } = await enrolledContact();
    // Replies reach the CRM: the Reply-To is at the inbound domain and names the email.
    expect(replyTo(first)).toEqual([expect.stringMatching(new RegExp(`^reply\\+[A-Za-z0-9_-]+@${LOCAL_INBOUND_DOMAIN.replace(/\./g, '\\.')}$`))]);

    await smtp.sendMail({
      from: `Lena <${email}>`,
      to: replyTo(first)[0],
      subject: 'Re: Quick question',
      text: 'Yes, call me tomorrow.',
      inReplyTo: `<${first.messageId}@email.amazonses.com>`,
      references: [`<${first.messageId}@email.amazonses.com>`],
      attachments: [{ filename: 'notes.txt', content: 'agenda' }],
    });

    expect(await enrollmentOf(sequence, contact)).toMatchObject({ status: 'stopped', stopReason: 'replied' });
    const [logged] = await inboundActivities(contact);
    expect(logged!.activity).toMatchObject({
      subject: 'Re: Quick question',
      body: 'Yes, call me tomorrow.',
      dealIds: [deal],
      companyIds: [company],
      email: { from: email, attachments: [{ name: 'notes.txt', sizeBytes: 6 }], inReplyTo: `<${first.messageId}@email.amazonses.com>` },
    });
    const sent = await api.request<{ items: { status: string }[] }>('GET', `/v1/contacts/${contact}/emails`);
    expect(sent.json!.items.map((message) => message.status)).toEqual(['replied']);
    expect((await api.request<{ items: unknown[] }>('GET', `/v1/deals/${deal}/timeline`)).json!.items.some((entry) => (entry as TimelineEntry).activity?.direction === 'inbound')).toBe(true);

    // The second step's wait (capped at 4 s) passes: no second email.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await mailTo(email)).toHaveLength(1);

    // Integrators hear of it: email.replied, once.
    await api.automations!.streams.drain();
    const replied = api.automations!.eventBridge.events().filter((event) => event['detail-type'] === 'email.replied' && (event.detail as { record: { contactId: string } }).record.contactId === contact);
    expect(replied).toHaveLength(1);

    // A second reply is logged too; the sequence stays stopped and the email replied.
    await smtp.sendMail({ from: email, to: replyTo(first)[0], subject: 'Re: Quick question', text: 'And Friday works too.', inReplyTo: `<${first.messageId}@email.amazonses.com>` });
    expect(await inboundActivities(contact)).toHaveLength(2);
    expect(await enrollmentOf(sequence, contact)).toMatchObject({ status: 'stopped', stopReason: 'replied' });
  });

  it('logs an out-of-office answer without stopping the sequence', async () => {
    const { email, contact, sequence, first } = await enrolledContact();
    await smtp.sendMail({
      from: email,
      to: replyTo(first)[0],
      subject: 'Automatic reply: Quick question',
      text: 'I am out of the office until Monday.',
      inReplyTo: `<${first.messageId}@email.amazonses.com>`,
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    const [logged] = await inboundActivities(contact);
    expect(logged!.activity!.email).toMatchObject({ autoReply: true });
    expect((await enrollmentOf(sequence, contact)).status).toBe('active');
    await eventually(() => mailTo(email), (mail) => mail.length === 2, 'the second step, sent despite the auto-reply', 10_000);
  });

  it('does not log what SES judged spam or a virus, and keeps mail from unknown senders for review', async () => {
    const { contact, first } = await enrolledContact();
    const spamFrom = `spammer-${Date.now()}@bad.example`;
    await smtp.sendMail({ from: (await api.request<{ email: string }>('GET', `/v1/contacts/${contact}`)).json!.email, to: replyTo(first)[0], subject: 'Win big', text: 'spam', headers: { 'X-SES-Spam-Verdict': 'FAIL' } });
    expect(await inboundActivities(contact)).toHaveLength(0);

    await smtp.sendMail({ from: spamFrom, to: `hello@${LOCAL_INBOUND_DOMAIN}`, subject: 'Partnership?', text: 'We would like to work with you.' });
    const unmatched = await api.request<{ items: { id: string; from: string; subject: string; snippet: string }[] }>('GET', '/v1/inbound-emails/unmatched', { as: manager });
    const kept = unmatched.json!.items.find((item) => item.from === spamFrom);
    expect(kept).toMatchObject({ subject: 'Partnership?', snippet: 'We would like to work with you.' });
    expect((await api.request('GET', `/v1/contacts?email=${encodeURIComponent(spamFrom)}`)).json).toMatchObject({ items: [] });
    expect((await api.request('DELETE', `/v1/inbound-emails/unmatched/${kept!.id}`, { as: manager })).status).toBe(204);
    expect((await api.request('GET', '/v1/inbound-emails/unmatched', { as: { kind: 'user', id: 'member-x', role: 'member' } })).status).toBe(403);
  });

  it("logs a user's own correspondence sent to their logging address, and only when it comes from them", async () => {
    const user: TokenSubject = { kind: 'user', id: `rep-${Date.now()}`, role: 'member', email: `rep-${Date.now()}@acme.example` } as TokenSubject;
    const { email, contact } = await enrolledContact();
    await api.request('GET', '/v1/owners', { as: user });
    const address = (await api.request<{ address: string }>('GET', '/v1/inbound-address', { as: user })).json!.address;
    expect(address).toMatch(new RegExp(`^log-[0-9a-f]{24}@${LOCAL_INBOUND_DOMAIN.replace(/\./g, '\\.')}$`));
    expect((await api.request<{ address: string }>('GET', '/v1/inbound-address', { as: user })).json!.address).toBe(address);

    // Someone else cannot log through it, even knowing it.
    await smtp.sendMail({ from: 'intruder@elsewhere.example', to: email, bcc: address, subject: 'Forged', text: 'x', envelope: { from: 'intruder@elsewhere.example', to: [address] } });
    await smtp.sendMail({ from: (user as { email: string }).email, to: email, bcc: address, subject: 'Proposal attached', text: 'Here is the proposal.', envelope: { from: (user as { email: string }).email, to: [address] } });
    const review = await api.request<{ items: { subject: string; reason: string }[] }>('GET', '/v1/inbound-emails/unmatched?limit=100', { as: manager });
    expect(review.json!.items.find((item) => item.subject === 'Forged')?.reason).toMatch(/from another address than theirs/);
    const outbound = (await timelineOf(contact)).filter((entry) => entry.activity?.kind === 'email' && entry.activity.subject !== 'Quick question' && entry.activity.direction === 'outbound');
    expect(outbound.map((entry) => entry.activity!.subject)).toEqual(['Proposal attached']);

    // A rotated address no longer logs.
    const rotated = (await api.request<{ address: string }>('POST', '/v1/inbound-address/rotate', { as: user })).json!.address;
    expect(rotated).not.toBe(address);
    await smtp.sendMail({ from: (user as { email: string }).email, to: email, subject: 'Old address', text: 'x', envelope: { from: (user as { email: string }).email, to: [address] } });
    expect((await timelineOf(contact)).some((entry) => entry.activity?.subject === 'Old address')).toBe(false);
  });
});
