import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';
import { mailTo } from '../support/local-mail';
import { startTestApi, type TestApi } from '../support/api-server';
import type { TokenSubject } from '../../local/local-jwt';

type Message = { id: string; status: string; to: string; subject: string; text: string; providerMessageId?: string };
type Enrollment = { status: string; nextStep: number; runId: string; stopReason?: string };
type Page<T> = { items: T[]; nextCursor: string | null };

const member: TokenSubject = { kind: 'user', id: 'member-7', role: 'member' };
const manager: TokenSubject = { kind: 'user', id: 'manager-7', role: 'manager' };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ automations: true });
});
afterAll(() => api.close());



let emailCounter = 0;
async function contactWith(email: string, as: TokenSubject = member) {
  const response = await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Grace', lastName: 'Hopper', email }, as });
  expect(response.status, response.text).toBe(201);
  return response.json!.id;
}
const uniqueAddress = (local: string) => `${local}+${Date.now()}-${++emailCounter}@example.com`;

describe('emails through the API', () => {
  it('sends through SES, records delivery from the SES event, and lists the contact emails', async () => {
    const address = uniqueAddress('grace');
    const contactId = await contactWith(address);
    const sent = await api.request<Message>('POST', `/v1/contacts/${contactId}/emails`, { body: { subject: 'Hello Grace', text: 'A first note.' }, as: member });
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json).toMatchObject({ status: 'sent', to: address, subject: 'Hello Grace' });

    const [mail] = await mailTo(address);
    expect(mail).toMatchObject({ messageId: sent.json!.providerMessageId, subject: 'Hello Grace', body: { text: 'A first note.' } });
    const delivered = await eventually(() => api.request<Message>('GET', `/v1/emails/${sent.json!.id}`), (r) => r.json?.status === 'delivered', 'the delivery event');
    expect(delivered.status).toBe(200);
    const listed = await api.request<Page<Message>>('GET', `/v1/contacts/${contactId}/emails`);
    expect(listed.json!.items.map((message) => message.id)).toEqual([sent.json!.id]);
  });

  it('suppresses a hard-bouncing address, and refuses to send to it again with 422', async () => {
    const address = 'bounce@simulator.amazonses.com';
    const contactId = await contactWith(address);
    const sent = await api.request<Message>('POST', `/v1/contacts/${contactId}/emails`, { body: { subject: 'Will bounce', text: 'x' }, as: member });
    expect(sent.status, sent.text).toBe(201);
    await eventually(() => api.request<Message>('GET', `/v1/emails/${sent.json!.id}`), (r) => r.json?.status === 'bounced', 'the bounce event');
    // The status is written first, then the suppression: wait for the second too.
    const suppression = await eventually(() => api.request('GET', `/v1/email-suppressions/${encodeURIComponent(address)}`), (r) => r.status === 200, 'the suppression');
    expect(suppression.json).toMatchObject({ email: address, reason: 'bounce' });

    const again = await api.request<{ type: string; reason: string }>('POST', `/v1/contacts/${contactId}/emails`, { body: { subject: 'Again', text: 'x' }, as: member });
    expect(again.status).toBe(422);
    expect(again.json).toMatchObject({ type: 'urn:crm:problem:email-not-sendable', reason: 'suppressed' });
    expect(await mailTo(address).then((mails) => mails.filter((mail) => mail.subject === 'Again'))).toEqual([]);
  });

  it('personalises a one-off email as a sequence step is, and refuses an unknown placeholder with 400', async () => {
    const address = uniqueAddress('placeholders');
    const contactId = await contactWith(address);
    const sent = await api.request<Message>('POST', `/v1/contacts/${contactId}/emails`, { body: { subject: 'Hello {{firstName}}', text: 'Dear {{fullName}}, {{title | friend}}.' }, as: member });
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json).toMatchObject({ subject: 'Hello Grace', text: 'Dear Grace Hopper, friend.' });
    const [mail] = await mailTo(address);
    expect(mail).toMatchObject({ subject: 'Hello Grace', body: { text: 'Dear Grace Hopper, friend.' } });

    const company = await api.request<{ id: string }>('POST', '/v1/companies', { body: { name: 'Navy Labs', domain: `navy-${Date.now()}.example` }, as: member });
    const employee = await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Ada', email: uniqueAddress('employee'), companyIds: [company.json!.id] }, as: member });
    const toEmployee = await api.request<Message>('POST', `/v1/contacts/${employee.json!.id}/emails`, { body: { subject: 'News for {{company.name}}', text: 'Hi {{firstName}} at {{company.name | your company}}.' }, as: member });
    expect(toEmployee.json).toMatchObject({ subject: 'News for Navy Labs', text: 'Hi Ada at Navy Labs.' });

    const unknown = await api.request<{ errors: { field: string; message: string }[] }>('POST', `/v1/contacts/${contactId}/emails`, { body: { subject: 'Hi {{nickname}}', text: 'x' }, as: member });
    expect(unknown.status).toBe(400);
    expect(unknown.json!.errors).toEqual([expect.objectContaining({ field: 'body.subject', message: expect.stringContaining('unknown placeholder {{nickname}}') })]);
  });

  it('validates input with problem details and guards the suppression list by role', async () => {
    const contactId = await contactWith(uniqueAddress('val'));
    const badSubject = await api.request<{ errors: { field: string }[] }>('POST', `/v1/contacts/${contactId}/emails`, { body: { subject: 'two\nlines', text: 'x' }, as: member });
    expect(badSubject.status).toBe(400);
    expect(badSubject.json!.errors.map((issue) => issue.field)).toEqual(['body.subject']);
    expect((await api.request('POST', '/v1/contacts/NOPE/emails', { body: { subject: 's', text: 't' }, as: member })).status).toBe(404);
    expect((await api.request('POST', `/v1/contacts/${contactId}/emails`, { body: { subject: 's', text: 't' }, as: { kind: 'user', id: 'v', role: 'viewer' } })).status).toBe(403);

    const address = uniqueAddress('optout');
    expect((await api.request('POST', '/v1/email-suppressions', { body: { email: address.toUpperCase() }, as: member })).status).toBe(201);
    expect((await api.request('POST', '/v1/email-suppressions', { body: { email: address, reason: 'manual' }, as: member })).json).toMatchObject({ reason: 'unsubscribe' });
    expect((await api.request('DELETE', `/v1/email-suppressions/${encodeURIComponent(address)}`, { as: member })).status).toBe(403);
    expect((await api.request('DELETE', `/v1/email-suppressions/${encodeURIComponent(address)}`, { as: manager })).status).toBe(204);
    expect((await api.request('GET', `/v1/email-suppressions/${encodeURIComponent(address)}`)).status).toBe(404);
  });

  it('sends once for a retried request with the same Idempotency-Key', async () => {
    const address = uniqueAddress('idem');
    const contactId = await contactWith(address);
    const send = () => api.request<Message>('POST', `/v1/contacts/${contactId}/emails`, { body: { subject: 'Once', text: 'x' }, headers: { 'idempotency-key': `send-${address}` }, as: member });
    const first = await send();
    const retry = await send();
    expect(retry.json!.id).toBe(first.json!.id);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await mailTo(address)).toHaveLength(1);
  });
});

describe('follow-up sequences, run by Step Functions (the synthesized definition, locally)', () => {
  const steps = [
    { delayMinutes: 0, subject: 'Welcome, {{firstName}}', text: 'Hi {{firstName | there}}!' },
    { delayMinutes: 2 * 24 * 60, subject: 'Day two', text: 'Still there, {{fullName}}?' },
    { delayMinutes: 5 * 24 * 60, subject: 'Last one', text: 'Bye {{firstName}}.' },
  ];

  it('enrolls a contact from the API and sends every step, personalised, then completes', async () => {
    const sequence = await api.request<{ id: string }>('POST', '/v1/sequences', { body: { name: 'Onboarding', steps }, as: manager });
    expect(sequence.status, sequence.text).toBe(201);
    const address = uniqueAddress('seq');
    const contactId = await contactWith(address);
    const enrolled = await api.request<Enrollment>('POST', `/v1/sequences/${sequence.json!.id}/enrollments`, { body: { contactId }, as: member });
    expect(enrolled.status, enrolled.text).toBe(201);
    expect(enrolled.json).toMatchObject({ status: 'active', nextStep: 0 });

    const done = await eventually(
      () => api.request<Enrollment>('GET', `/v1/sequences/${sequence.json!.id}/enrollments/${contactId}`),
      (r) => r.json?.status !== 'active',
      'the run to end',
    );
    expect(done.json).toMatchObject({ status: 'completed', nextStep: 3 });
    const mails = await mailTo(address);
    expect(mails.map((mail) => [mail.subject, mail.body.text?.split('\n\n--\n')[0]])).toEqual([
      ['Welcome, Grace', 'Hi Grace!'],
      ['Day two', 'Still there, Grace Hopper?'],
      ['Last one', 'Bye Grace.'],
    ]);
    const execution = api.automations!.endedExecutions.find((ended) => ended.name === enrolled.json!.runId);
    expect(execution?.status).toBe('SUCCEEDED');
    expect((await api.request('POST', `/v1/sequences/${sequence.json!.id}/enrollments`, { body: { contactId }, as: member })).status).toBe(201);
  });

  it('stops a run whose contact bounces, and refuses to enroll a suppressed address', async () => {
    const sequence = await api.request<{ id: string }>('POST', '/v1/sequences', { body: { name: 'Bouncy', steps: [steps[0], { ...steps[1], delayMinutes: 1 }] }, as: manager });
    const contactId = await contactWith('bounce+seq@simulator.amazonses.com', manager);
    const enrolled = await api.request<Enrollment>('POST', `/v1/sequences/${sequence.json!.id}/enrollments`, { body: { contactId }, as: manager });
    expect(enrolled.status, enrolled.text).toBe(201);
    const ended = await eventually(
      () => api.request<Enrollment>('GET', `/v1/sequences/${sequence.json!.id}/enrollments/${contactId}`),
      (r) => r.json?.status !== 'active',
      'the run to end',
    );
    // Step 1 went out and bounced; whether step 2 found the address suppressed depends on when the bounce landed.
    expect(['stopped', 'completed']).toContain(ended.json!.status);
    await eventually(() => api.request('GET', `/v1/email-suppressions/${encodeURIComponent('bounce+seq@simulator.amazonses.com')}`), (r) => r.status === 200, 'the suppression');
    const again = await api.request<{ reason: string }>('POST', `/v1/sequences/${sequence.json!.id}/enrollments`, { body: { contactId }, as: manager });
    expect(again.status).toBe(422);
    expect(again.json!.reason).toBe('suppressed');
  });

  it('answers 409 to a second enrollment while one runs, and stops it on DELETE', async () => {
    const sequence = await api.request<{ id: string }>('POST', '/v1/sequences', { body: { name: 'Slow', steps: [{ ...steps[0], delayMinutes: 60 }] }, as: manager });
    const contactId = await contactWith(uniqueAddress('slow'));
    const path = `/v1/sequences/${sequence.json!.id}/enrollments`;
    expect((await api.request('POST', path, { body: { contactId }, as: member })).status).toBe(201);
    expect((await api.request('POST', path, { body: { contactId }, as: member })).status).toBe(409);
    const stopped = await api.request<Enrollment>('DELETE', `${path}/${contactId}`, { as: member });
    expect(stopped.json).toMatchObject({ status: 'stopped', stopReason: 'stopped-by-user' });
    const listed = await api.request<Page<Enrollment>>('GET', path);
    expect(listed.json!.items).toHaveLength(1);
  });

  it('carries a one-click unsubscribe link that suppresses the recipient, after a confirmation page that changes nothing', async () => {
    const sequence = await api.request<{ id: string }>('POST', '/v1/sequences', { body: { name: 'News', steps: [steps[0]] }, as: manager });
    const address = uniqueAddress('unsub');
    const contactId = await contactWith(address);
    await api.request('POST', `/v1/sequences/${sequence.json!.id}/enrollments`, { body: { contactId }, as: member });
    const [mail] = await eventually(() => mailTo(address), (mails) => mails.length === 1, 'the sequence email');
    const header = (name: string) => mail!.headers?.find((candidate) => candidate.name === name)?.value;
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const link = /^<(.+)>$/.exec(header('List-Unsubscribe') ?? '')![1]!;
    expect(mail!.body.text).toContain(`To stop receiving these emails: ${link}`);
    const path = link.slice(api.url.replace(/\/$/, '').length);

    const page = await api.request('GET', path, { as: 'anonymous' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('<form method="post"');
    expect((await api.request('GET', `/v1/email-suppressions/${encodeURIComponent(address)}`)).status).toBe(404);

    // What a mail client sends for one-click unsubscribe (RFC 8058): a form POST, no credentials.
    const oneClick = await api.request('POST', path, { as: 'anonymous', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(oneClick.status).toBe(200);
    expect((await api.request('GET', `/v1/email-suppressions/${encodeURIComponent(address)}`)).json).toMatchObject({ reason: 'unsubscribe' });

    // A link tracker's parameters do not break it; an altered link gets a readable page, not problem+json.
    expect((await api.request('GET', `${path}&utm_source=newsletter`, { as: 'anonymous' })).status).toBe(200);
    for (const method of ['GET', 'POST']) {
      const forged = await api.request(method, `${path}x`, { as: 'anonymous' });
      expect(forged.status).toBe(400);
      expect(forged.text).toContain('This link is not valid');
    }
  });

  it('refuses sequences with unknown placeholders, and sequence writes by members', async () => {
    const bad = await api.request<{ errors: { field: string; message: string }[] }>('POST', '/v1/sequences', {
      body: { name: 'Typo', steps: [{ delayMinutes: 0, subject: 'Hi {{frist}}', text: 'x' }] },
      as: manager,
    });
    expect(bad.status).toBe(400);
    expect(bad.json!.errors).toEqual([{ field: 'body.steps.0.subject', message: 'unknown placeholder {{frist}}' }]);
    expect((await api.request('POST', '/v1/sequences', { body: { name: 'Mine', steps }, as: member })).status).toBe(403);
  });
});
