import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Records follow the schema they depend on, as a CRM user expects: deals take their
 * stage's new probability, and values a property definition no longer allows go. The
 * table's stream drives it (the schemaFollowUp consumer), as deployed.
 */

type Deal = { id: string; probability: number; stageId: string };
type Contact = { id: string; properties?: Record<string, unknown> };
type Pipeline = { id: string; stages: { id: string; name: string; probability: number; kind: string }[] };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ automations: true });
});
afterAll(() => api.close());

const settle = () => api.automations!.streams.drain();

describe('deals follow their stage', () => {
  it("take a re-weighted stage's probability, and only that stage's deals", async () => {
    const pipeline = (await api.request<Pipeline>('POST', '/v1/pipelines', { body: { name: 'Weights', stages: [{ name: 'Early', probability: 0.2 }, { name: 'Late', probability: 0.7 }, { name: 'Won', probability: 1, kind: 'won' }] } })).json!;
    const [early, late] = pipeline.stages;
    const inEarly = await Promise.all([1, 2, 3].map(async (n) => (await api.request<Deal>('POST', '/v1/deals', { body: { name: `Early ${n}`, pipelineId: pipeline.id, stageId: early!.id } })).json!));
    const inLate = (await api.request<Deal>('POST', '/v1/deals', { body: { name: 'Late', pipelineId: pipeline.id, stageId: late!.id } })).json!;
    expect(inEarly.map((deal) => deal.probability)).toEqual([0.2, 0.2, 0.2]);

    const stages = pipeline.stages.map((stage) => (stage.id === early!.id ? { ...stage, probability: 0.35 } : stage));
    expect((await api.request('PATCH', `/v1/pipelines/${pipeline.id}`, { body: { stages } })).status).toBe(200);
    await settle();

    for (const deal of inEarly) expect((await api.request<Deal>('GET', `/v1/deals/${deal.id}`)).json!.probability).toBe(0.35);
    expect((await api.request<Deal>('GET', `/v1/deals/${inLate.id}`)).json!.probability).toBe(0.7);
    // The change is on the deal's timeline, made by the system on behalf of the pipeline change.
    const timeline = await api.request<{ items: { actor?: { type: string; id: string }; changes?: { field: string; from: unknown; to: unknown }[] }[] }>('GET', `/v1/deals/${inEarly[0]!.id}/timeline`);
    expect(timeline.json!.items[0]).toMatchObject({ actor: { type: 'system', id: 'schema-follow-up' }, changes: [{ field: 'probability', from: 0.2, to: 0.35 }] });
  });
});

describe('custom property values follow their definition', () => {
  it('leave every record when the property is deleted', async () => {
    await api.request('POST', '/v1/properties/contacts', { body: { name: 'shoe_size', label: 'Shoe size', type: 'number' } });
    const contacts = await Promise.all([40, 41, 42].map(async (size) => (await api.request<Contact>('POST', '/v1/contacts', { body: { firstName: `Size ${size}`, properties: { shoe_size: size } } })).json!));
    expect((await api.request('DELETE', '/v1/properties/contacts/shoe_size')).status).toBe(204);
    await settle();
    for (const contact of contacts) expect((await api.request<Contact>('GET', `/v1/contacts/${contact.id}`)).json!.properties).toEqual({});
  });

  it('leave when their enum option is removed, and stay when it is kept', async () => {
    const options = [{ value: 'gold', label: 'Gold' }, { value: 'silver', label: 'Silver' }];
    await api.request('POST', '/v1/properties/companies', { body: { name: 'tier', label: 'Tier', type: 'enum', options } });
    const gold = (await api.request<Contact>('POST', '/v1/companies', { body: { name: 'Gold Ltd', properties: { tier: 'gold' } } })).json!;
    const silver = (await api.request<Contact>('POST', '/v1/companies', { body: { name: 'Silver Ltd', properties: { tier: 'silver' } } })).json!;
    expect((await api.request('PATCH', '/v1/properties/companies/tier', { body: { options: [options[0]] } })).status).toBe(200);
    await settle();
    expect((await api.request<Contact>('GET', `/v1/companies/${gold.id}`)).json!.properties).toEqual({ tier: 'gold' });
    expect((await api.request<Contact>('GET', `/v1/companies/${silver.id}`)).json!.properties).toEqual({});
  });

  it('of the old type leave, and of the new type stay, when a property is re-created with another type', async () => {
    await api.request('POST', '/v1/properties/deals', { body: { name: 'region', label: 'Region', type: 'string' } });
    const old = (await api.request<Contact>('POST', '/v1/deals', { body: { name: 'Old region', properties: { region: 'EMEA' } } })).json!;
    expect((await api.request('DELETE', '/v1/properties/deals/region')).status).toBe(204);
    // Re-created before the follow-up ran, as a number.
    expect((await api.request('POST', '/v1/properties/deals', { body: { name: 'region', label: 'Region code', type: 'number' } })).status).toBe(201);
    const fresh = (await api.request<Contact>('POST', '/v1/deals', { body: { name: 'New region', properties: { region: 44 } } })).json!;
    await settle();
    expect((await api.request<Contact>('GET', `/v1/deals/${old.id}`)).json!.properties).toEqual({});
    expect((await api.request<Contact>('GET', `/v1/deals/${fresh.id}`)).json!.properties).toEqual({ region: 44 });
  });
});
