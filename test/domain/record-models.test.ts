import { describe, expect, it } from 'vitest';
import { contactModel } from '../../domain/records/contact';
import { normalizeDomain } from '../../domain/records/company';
import { dealModel } from '../../domain/records/deal';
import { activityModel } from '../../domain/records/activity';
import { defaultPipeline } from '../../domain/pipelines/pipeline';
import { ValidationError } from '../../domain/shared/errors';
import type { DerivationContext } from '../../domain/records/record-model';

const now = '2026-05-01T12:00:00.000Z';
const context = (changed: string[] = []): DerivationContext => ({
  now,
  isNew: true,
  strict: true,
  guard: () => undefined,
  changedFields: new Set(changed),
  getPipeline: async (id) => (id === 'default' ? defaultPipeline(now) : undefined),
});

describe('contact schema', () => {
  it('rejects server fields and unknown fields, and defaults the lifecycle stage', () => {
    expect(contactModel.createSchema.safeParse({ email: 'a@b.co', id: 'x' }).success).toBe(false);
    expect(contactModel.createSchema.safeParse({ email: 'a@b.co', favouriteColour: 'red' }).success).toBe(false);
    expect(contactModel.createSchema.parse({ email: 'a@b.co' })).toMatchObject({ lifecycleStage: 'lead' });
  });

  it('bounds strings and arrays', () => {
    expect(contactModel.createSchema.safeParse({ firstName: 'x'.repeat(101) }).success).toBe(false);
    expect(contactModel.createSchema.safeParse({ firstName: 'x', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }).success).toBe(false);
  });

  it('accepts null only in PATCH and only for optional fields', () => {
    expect(contactModel.updateSchema.safeParse({ title: null }).success).toBe(true);
    expect(contactModel.updateSchema.safeParse({ lifecycleStage: null }).success).toBe(false);
    expect(contactModel.updateSchema.safeParse({}).success).toBe(false);
  });
});

describe('contact primary company', () => {
  it.each([
    ['first company becomes primary', { companyIds: ['a', 'b'] }, [], { companyIds: ['a', 'b'], primaryCompanyId: 'a' }],
    ['explicit primary joins the list', { companyIds: ['a'], primaryCompanyId: 'c' }, ['primaryCompanyId'], { companyIds: ['c', 'a'], primaryCompanyId: 'c' }],
    ['dropped primary gives way', { companyIds: ['b'], primaryCompanyId: 'a' }, ['companyIds'], { companyIds: ['b'], primaryCompanyId: 'b' }],
    ['no companies, no primary', { companyIds: [] }, [], { companyIds: [], primaryCompanyId: null }],
  ])('%s', async (_name, draft, changed, expected) => {
    expect(await contactModel.derive!({ firstName: 'x', ...draft }, context(changed))).toEqual(expected);
  });

  it('needs a name or an email', async () => {
    await expect(contactModel.derive!({ phone: '123' }, context())).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('company domains', () => {
  it.each([
    ['https://www.Example.com/about?x=1', 'example.com'],
    ['EXAMPLE.com.', 'example.com'],
    ['http://shop.example.co.uk:8080', 'shop.example.co.uk'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeDomain(input)).toBe(expected);
  });
});

describe('deal status', () => {
  it('follows the stage kind and stamps closedAt once per close (won, or lost after won, is a new close)', async () => {
    expect(await dealModel.derive!({ name: 'd' }, context())).toMatchObject({ pipelineId: 'default', stageId: 'appointment_scheduled', status: 'open', closedAt: null });
    expect(await dealModel.derive!({ name: 'd', stageId: 'closed_lost' }, context())).toMatchObject({ status: 'lost', probability: 0, closedAt: now });
    expect(await dealModel.derive!({ name: 'd', stageId: 'closed_won', status: 'won', closedAt: '2026-01-01T00:00:00.000Z' }, context())).toMatchObject({ closedAt: '2026-01-01T00:00:00.000Z' });
    expect(await dealModel.derive!({ name: 'd', stageId: 'closed_lost', status: 'won', closedAt: '2026-01-01T00:00:00.000Z' }, context())).toMatchObject({ status: 'lost', closedAt: now });
  });

  it('refuses unknown pipelines and stages', async () => {
    await expect(dealModel.derive!({ pipelineId: 'nope' }, context())).rejects.toBeInstanceOf(ValidationError);
    await expect(dealModel.derive!({ stageId: 'nope' }, context())).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('activities', () => {
  it('keeps task fields on tasks and bounds links', async () => {
    await expect(activityModel.derive!({ kind: 'call', dueAt: now }, context())).rejects.toBeInstanceOf(ValidationError);
    const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    await expect(activityModel.derive!({ kind: 'note', contactIds: ids(20, 'c'), dealIds: ids(11, 'd') }, context())).rejects.toBeInstanceOf(ValidationError);
    expect(await activityModel.derive!({ kind: 'task' }, context())).toMatchObject({ taskStatus: 'open', occurredAt: now });
  });
});
