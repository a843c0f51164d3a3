import { describe, expect, it } from 'vitest';
import type { PropertyDefinition } from '../../domain/properties/property-definition';
import { catalogueWith, leftoverEntryKeysOf, listEntriesOf, planList } from '../../domain/records/list-views';
import { recordModels } from '../../domain/records/record-models';
import type { CrmRecord } from '../../domain/records/record-model';
import { orderedNumber } from '../../domain/shared/key-design';
import { inByteOrder } from '../../domain/shared/pagination';

const definition = (name: string, type: PropertyDefinition['type'], filterable = true): PropertyDefinition => ({
  objectType: 'contacts',
  name,
  label: name,
  type,
  ...(type === 'enum' ? { options: [{ value: 'a', label: 'A' }] } : {}),
  filterable,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
});
const everyKind = [definition('label', 'string'), definition('tier', 'enum'), definition('vip', 'boolean'), definition('seats', 'number'), definition('renewal', 'date')];
const record: CrmRecord = {
  id: 'r1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  version: 2,
  name: 'Név',
  lastName: 'Ünal',
  ownerId: 'u1',
  lifecycleStage: 'lead',
  industry: 'Software',
  kind: 'call',
  occurredAt: '2026-01-01T00:00:00.000Z',
  tags: ['A', 'b'],
  companyIds: ['c1'],
  contactIds: ['p1'],
  dealIds: ['d1'],
  pipelineId: 'default',
  stageId: 's1',
  status: 'open',
  amount: 10,
  properties: { label: 'Hello', tier: 'a', vip: true, seats: 3, renewal: '2026-06-30' },
};

describe('list catalogues', () => {
  for (const model of recordModels) {
    it(`${model.collection}: every view names declared filters and sorts, and every view and sort plans to one query`, () => {
      const catalogue = catalogueWith(model.lists, everyKind);
      const filters = new Set(catalogue.filters.map((filter) => filter.name));
      const sorts = new Set(catalogue.sorts.map((sort) => sort.name));
      for (const view of catalogue.views) {
        expect(view.filters.filter((name) => !filters.has(name)), JSON.stringify(view.filters)).toEqual([]);
        expect([...view.sorts, ...Object.keys(view.indexed ?? {})].filter((name) => !sorts.has(name)), JSON.stringify(view.filters)).toEqual([]);
        const values = Object.fromEntries(view.filters.map((name) => [name, name === 'properties.vip' ? 'true' : name.startsWith('properties.') ? 'a' : 'v']));
        for (const sort of [...view.sorts, ...Object.keys(view.indexed ?? {})]) {
          const plan = planList(model.type, model.lists, everyKind, { ...values, sort, limit: 25 });
          expect(plan.query.partitionKeys.length, `${view.filters.join('+')} by ${sort}`).toBeGreaterThan(0);
        }
      }
      expect(() => listEntriesOf(model.type, catalogue, record)).not.toThrow();
    });
  }
});

describe('sort text', () => {
  it('orders numbers as numbers, negatives and fractions included', () => {
    const numbers = [-1e300, -2, -1.5, -1, -0.5, -1e-300, 0, 1e-300, 0.5, 1, 9, 10, 99.99, 100, 1e11, 1e300];
    const texts = numbers.map(orderedNumber);
    expect([...texts].sort()).toEqual(texts);
    expect(orderedNumber(-0)).toBe(orderedNumber(0));
  });

  it('compares keys as DynamoDB does: by code point, so past U+FFFF sorts after U+FFFD', () => {
    expect(inByteOrder('\uFFFD', '\u{10FFFD}')).toBe(true);
    expect('\uFFFD' < '\u{10FFFD}').toBe(false);
    expect(inByteOrder('abc', 'abd')).toBe(true);
    expect(inByteOrder('ab', 'abc')).toBe(true);
    expect(inByteOrder('abc', 'abc')).toBe(false);
  });
});

describe('leftover entries of a deleted property', () => {
  it('names the entries of a value an undefined property loses, and nothing for defined or unchanged ones', () => {
    const before = { ...record, properties: { gone: 'Emea', seats: 3 } };
    const after = { ...record, properties: { seats: 4 } };
    const keys = leftoverEntryKeysOf('contact', [definition('seats', 'number')], before, after).map((key) => key.sk);
    expect(keys).toEqual(['LIST#properties.gone#createdAt#Emea', 'LIST#properties.gone#createdAt#emea', 'LIST#all#properties.gone']);
    expect(leftoverEntryKeysOf('contact', [definition('seats', 'number')], before, { ...before, version: 3 })).toEqual([]);
  });
});
