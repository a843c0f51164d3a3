import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TokenSubject } from '../../local/local-jwt';
import { startTestApi, type TestApi } from '../support/api-server';

type Template = { id: string; name: string; subject: string; text: string; html?: string; version: number };
type Problem = { errors?: { field: string; message: string }[] };
type StoredEmail = { destination: { to: string[] }; subject: string; body: { text?: string; html?: string } };

const manager: TokenSubject = { kind: 'user', id: 'manager-3', role: 'manager' };
const member: TokenSubject = { kind: 'user', id: 'member-3', role: 'member' };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

async function mailTo(address: string): Promise<StoredEmail[]> {
  const store = (await (await fetch(`${inject('sesEndpoint')}/store`)).json()) as { emails: StoredEmail[] };
  return store.emails.filter((email) => email.destination.to.some((to) => to.includes(address)));
}

const followUp = {
  name: 'Meeting follow-up',
  subject: 'Our call, {{firstName | there}}',
  text: 'Hello {{firstName}}, thanks from all of us to {{company.name | your team}}.',
  html: '<p>Hello <b>{{firstName}}</b> of {{company.name | your team}}</p>',
};

describe('email templates', () => {
  it('are written by managers, read by everyone, checked for placeholders when saved', async () => {
    expect((await api.request('POST', '/v1/email-templates', { body: followUp, as: member })).status).toBe(403);
    const created = await api.request<Template>('POST', '/v1/email-templates', { body: followUp, as: manager });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/email-templates/${created.json!.id}`);
    expect((await api.request<Template>('GET', `/v1/email-templates/${created.json!.id}`, { as: member })).json).toMatchObject(followUp);
    const listed = await api.request<{ items: Template[] }>('GET', '/v1/email-templates', { as: member });
    expect(listed.json!.items.map((template) => template.id)).toContain(created.json!.id);

    const typo = await api.request<Problem>('POST', '/v1/email-templates', { body: { ...followUp, html: '<p>{{frstName}}</p>' }, as: manager });
    expect(typo.status).toBe(400);
    expect(typo.json!.errors).toEqual([{ field: 'body.html', message: 'unknown placeholder {{frstName}}' }]);

    const withoutHtml = await api.request<Template>('PATCH', `/v1/email-templates/${created.json!.id}`, { body: { html: null }, as: manager, headers: { 'if-match': '"1"' } });
    expect(withoutHtml.status, withoutHtml.text).toBe(200);
    expect(withoutHtml.json).not.toHaveProperty('html');
    expect((await api.request('PATCH', `/v1/email-templates/${created.json!.id}`, { body: { name: 'x' }, as: manager, headers: { 'if-match': '"1"' } })).status).toBe(412);
    expect((await api.request('DELETE', `/v1/email-templates/${created.json!.id}`, { as: manager })).status).toBe(204);
    expect((await api.request('GET', `/v1/email-templates/${created.json!.id}`)).status).toBe(404);
  });

  it('preview for a contact, and send by templateId with the HTML escaped, the text kept on the timeline', async () => {
    const template = (await api.request<Template>('POST', '/v1/email-templates', { body: followUp, as: manager })).json!;
    const company = (await api.request<{ id: string }>('POST', '/v1/companies', { body: { name: 'Bits & Bytes', domain: `bits-${Date.now()}.example` } })).json!;
    const address = `ada-${Date.now()}@example.com`;
    const contact = (await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Ada <3', email: address, companyIds: [company.id] } })).json!;

    const preview = await api.request<{ subject: string; text: string; html: string }>('POST', `/v1/email-templates/${template.id}/preview`, { body: { contactId: contact.id }, as: member });
    expect(preview.json).toEqual({
      subject: 'Our call, Ada <3',
      text: 'Hello Ada <3, thanks from all of us to Bits & Bytes.',
      html: '<p>Hello <b>Ada &lt;3</b> of Bits &amp; Bytes</p>',
    });
    expect(await mailTo(address)).toEqual([]);

    const sent = await api.request<{ subject: string; text: string }>('POST', `/v1/contacts/${contact.id}/emails`, { body: { templateId: template.id }, as: member });
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json).toMatchObject({ subject: preview.json!.subject, text: preview.json!.text });
    const [mail] = await mailTo(address);
    expect(mail!.body).toMatchObject({ text: preview.json!.text, html: preview.json!.html });
  });

  it('refuses a send that names no template, or mixes one with its own words, naming the field', async () => {
    const contact = (await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Bo', email: `bo-${Date.now()}@example.com` } })).json!;
    const path = `/v1/contacts/${contact.id}/emails`;
    const missing = await api.request<Problem>('POST', path, { body: { templateId: '01JNQ8Y3ZB6W1T1D5V0K9C4M2P' } });
    expect(missing.status).toBe(400);
    expect(missing.json!.errors!.map((issue) => issue.field)).toEqual(['body.templateId']);
    const mixed = await api.request<Problem>('POST', path, { body: { templateId: '01JNQ8Y3ZB6W1T1D5V0K9C4M2P', subject: 'x', text: 'y' } });
    expect(mixed.json!.errors!.map((issue) => issue.field)).toEqual(['body.templateId']);
    const neither = await api.request<Problem>('POST', path, { body: {} });
    expect(neither.json!.errors!.map((issue) => issue.field)).toEqual(['body.subject', 'body.text']);
  });

  it("give a sequence step its words when the sequence is saved; a step naming no template is a 400 that names it", async () => {
    const template = (await api.request<Template>('POST', '/v1/email-templates', { body: followUp, as: manager })).json!;
    const steps = [
      { delayMinutes: 0, templateId: template.id },
      { delayMinutes: 60, subject: 'Own words', text: 'Hi {{firstName}}' },
    ];
    const sequence = await api.request<{ id: string; steps: Record<string, unknown>[] }>('POST', '/v1/sequences', { body: { name: 'From templates', steps }, as: manager });
    expect(sequence.status, sequence.text).toBe(201);
    expect(sequence.json!.steps).toEqual([
      { delayMinutes: 0, subject: followUp.subject, text: followUp.text, html: followUp.html, templateId: template.id },
      { delayMinutes: 60, subject: 'Own words', text: 'Hi {{firstName}}' },
    ]);
    // Editing the template later leaves the saved sequence as it was.
    await api.request('PATCH', `/v1/email-templates/${template.id}`, { body: { subject: 'Changed' }, as: manager });
    expect((await api.request<{ steps: { subject: string }[] }>('GET', `/v1/sequences/${sequence.json!.id}`)).json!.steps[0]!.subject).toBe(followUp.subject);

    const unknown = await api.request<Problem>('POST', '/v1/sequences', { body: { name: 'Broken', steps: [steps[1], { delayMinutes: 0, templateId: '01JNQ8Y3ZB6W1T1D5V0K9C4M2P' }] }, as: manager });
    expect(unknown.status).toBe(400);
    expect(unknown.json!.errors!.map((issue) => issue.field)).toEqual(['body.steps.1.templateId']);
    const both = await api.request<Problem>('POST', '/v1/sequences', { body: { name: 'Both', steps: [{ ...steps[1], templateId: template.id }] }, as: manager });
    expect(both.json!.errors!.map((issue) => issue.field)).toEqual(['body.steps.0.templateId']);
  });

  it('take task steps in sequences: a task for the owner instead of an email, and not both in one step', async () => {
    const task = { subject: 'Call {{firstName}}', dueInMinutes: 1440 };
    const sequence = await api.request<{ steps: unknown[] }>('POST', '/v1/sequences', { body: { name: 'Mixed', steps: [{ delayMinutes: 0, subject: 'Hi', text: 'Hello' }, { delayMinutes: 60, task }] }, as: manager });
    expect(sequence.status, sequence.text).toBe(201);
    expect(sequence.json!.steps[1]).toEqual({ delayMinutes: 60, task });
    const both = await api.request<Problem>('POST', '/v1/sequences', { body: { name: 'Both', steps: [{ delayMinutes: 0, subject: 'Hi', text: 'x', task }] }, as: manager });
    expect(both.json!.errors!.map((issue) => issue.field)).toEqual(['body.steps.0.task']);
    const typo = await api.request<Problem>('POST', '/v1/sequences', { body: { name: 'Typo', steps: [{ delayMinutes: 0, task: { subject: 'Call {{frstName}}' } }] }, as: manager });
    expect(typo.json!.errors).toEqual([{ field: 'body.steps.0.task.subject', message: 'unknown placeholder {{frstName}}' }]);

    // Sending hours: kept with the sequence, lifted with null, and a wrong time zone is a 400 naming it.
    const sendingHours = { timeZone: 'America/New_York', days: ['mon', 'fri'], start: '08:30', end: '12:00' };
    const hours = await api.request<{ id: string; sendingHours?: unknown }>('POST', '/v1/sequences', { body: { name: 'Mornings', steps: [{ delayMinutes: 0, task }], sendingHours }, as: manager });
    expect(hours.json!.sendingHours).toEqual(sendingHours);
    const lifted = await api.request<{ sendingHours?: unknown }>('PATCH', `/v1/sequences/${hours.json!.id}`, { body: { sendingHours: null }, as: manager });
    expect(lifted.json).not.toHaveProperty('sendingHours');
    const badZone = await api.request<Problem>('POST', '/v1/sequences', { body: { name: 'Zone', steps: [{ delayMinutes: 0, task }], sendingHours: { ...sendingHours, timeZone: 'EST5' } }, as: manager });
    expect(badZone.json!.errors!.map((issue) => issue.field)).toEqual(['body.sendingHours.timeZone']);
  });
});
