import { describe, expect, it } from 'vitest';
import { contactModel } from '../../domain/records/contact';
import { activityModel } from '../../domain/records/activity';
import { planRecordWrite } from '../../domain/records/record-writes';
import { diffRecords } from '../../domain/records/field-changes';
import { PreconditionFailedError, UniqueValueTakenError, ValidationError } from '../../domain/shared/errors';
import type { CrmRecord } from '../../domain/records/record-model';

const actor = { type: 'user', id: 'u1', role: 'admin' } as const;
const contact = (fields: Record<string, unknown>, version = 1): CrmRecord => ({
  id: 'C1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: `2026-01-0${version}T00:00:00.000Z`,
  version,
  lifecycleStage: 'lead',
  companyIds: [],
  ...fields,
});

describe('planning a record write', () => {
  it('creates the record, its email guard and a created entry in one transaction', () => {
    const { ops } = planRecordWrite({ model: contactModel, after: contact({ email: 'A@x.io' }), actor, changeId: 'ch1' });
    expect(ops.map((op) => [op.op, 'item' in op ? op.item.sk : op.key.sk])).toEqual([
      ['put', 'RECORD'],
      ['put', 'UNIQUE'],
      ['put', 'TL#2026-01-01T00:00:00.000Z#change#ch1'],
    ]);
    expect(ops[0]!.condition).toEqual({ kind: 'absent' });
    expect(ops[1]).toMatchObject({ item: { pk: 'UNIQUE#CONTACT#EMAIL#a@x.io' }, condition: { kind: 'absent' } });
    expect(ops[1]!.onConditionFailed!()).toBeInstanceOf(UniqueValueTakenError);
  });

  it('guards an update by version, moves the email guard and checks new references', () => {
    const before = contact({ email: 'a@x.io' });
    const after = contact({ email: 'b@x.io', companyIds: ['K1'] }, 2);
    const { ops, changes } = planRecordWrite({ model: contactModel, before, after, actor, changeId: 'ch2' });
    expect(ops[0]).toMatchObject({ op: 'put', condition: { kind: 'liveAtVersion', version: 1 } });
    expect(ops[0]!.onConditionFailed!()).toBeInstanceOf(PreconditionFailedError);
    expect(ops).toContainEqual({ op: 'delete', key: { pk: 'UNIQUE#CONTACT#EMAIL#a@x.io', sk: 'UNIQUE' } });
    const check = ops.find((op) => op.op === 'check')!;
    expect(check).toMatchObject({ key: { pk: 'COMPANY#K1', sk: 'RECORD' }, condition: { kind: 'live' } });
    expect(check.onConditionFailed!()).toBeInstanceOf(ValidationError);
    expect(ops).toContainEqual(expect.objectContaining({ op: 'put', item: expect.objectContaining({ pk: 'COMPANY#K1', sk: 'LINK#contact#C1', sourceId: 'C1' }) }));
    expect(changes.map((change) => change.field)).toEqual(['companyIds', 'email']);
  });

  it('re-keys timeline links when an activity moves in time', () => {
    const base = { id: 'A1', createdAt: 'x', kind: 'note', contactIds: ['C1'], companyIds: [], dealIds: [] };
    const before = { ...base, updatedAt: '2026-01-01T00:00:00.000Z', version: 1, occurredAt: '2026-01-01T00:00:00.000Z' };
    const after = { ...base, updatedAt: '2026-01-02T00:00:00.000Z', version: 2, occurredAt: '2026-02-01T00:00:00.000Z' };
    const { ops } = planRecordWrite({ model: activityModel, before, after, actor, changeId: 'c' });
    expect(ops).toContainEqual({ op: 'delete', key: { pk: 'CONTACT#C1', sk: 'TL#2026-01-01T00:00:00.000Z#activity#A1' } });
    expect(ops).toContainEqual(expect.objectContaining({ op: 'put', item: expect.objectContaining({ sk: 'TL#2026-02-01T00:00:00.000Z#activity#A1' }) }));
    expect(ops.filter((op) => op.op === "check").map((op) => (op as { key: { pk: string } }).key.pk)).toEqual(["CONTACT#C1"]);
  });
});

describe('field changes', () => {
  it('lists changed fields, custom properties one by one, ignoring bookkeeping', () => {
    const before = contact({ title: 'CTO', properties: { tier: 'gold', seats: 3 } });
    const after = contact({ title: 'CEO', properties: { tier: 'gold' } }, 2);
    expect(diffRecords(before, after)).toEqual([
      { field: 'properties.seats', from: 3, to: null },
      { field: 'title', from: 'CTO', to: 'CEO' },
    ]);
  });
});
