import { describe, expect, it } from 'vitest';
import { contactModel } from '../../domain/records/contact';
import { changedFields } from '../../domain/records/field-changes';
import { recordChangeOf } from '../../domain/records/record-change';
import { recordToItem } from '../../domain/records/record-items';
import type { TableChange } from '../../domain/shared/table-change';

const contact = { id: 'C1', firstName: 'Ada', lifecycleStage: 'lead', companyIds: [], properties: {}, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', version: 1 };
const item = (record: typeof contact, changedBy = { type: 'user', id: 'u1' }) => ({ ...recordToItem(contactModel, record), changedBy });
const change = (kind: TableChange['kind'], before?: Record<string, unknown>, after?: Record<string, unknown>): TableChange => ({
  kind,
  key: { pk: 'CONTACT#C1', sk: 'RECORD' },
  entity: String((after ?? before)?.entity),
  ...(before ? { before: before as never } : {}),
  ...(after ? { after: after as never } : {}),
  sequence: '1',
});

describe('record changes from the stream', () => {
  it('are created, with every initial value, the actor and the version', () => {
    expect(recordChangeOf(change('inserted', undefined, item(contact)))).toMatchObject({
      recordType: 'contact',
      id: 'C1',
      event: 'created',
      version: 1,
      actor: { type: 'user', id: 'u1' },
      changes: expect.arrayContaining([{ field: 'firstName', from: null, to: 'Ada' }]),
    });
  });

  it('are updated with old and new values of the changed fields only', () => {
    const next = { ...contact, lifecycleStage: 'customer', updatedAt: '2026-01-02T00:00:00.000Z', version: 2 };
    const updated = recordChangeOf(change('modified', item(contact), item(next, { type: 'client', id: 'sync' })));
    expect(updated).toMatchObject({ event: 'updated', version: 2, actor: { type: 'client', id: 'sync' }, changes: [{ field: 'lifecycleStage', from: 'lead', to: 'customer' }] });
    expect(updated!.before!.lifecycleStage).toBe('lead');
    // Storage attributes never reach a consumer.
    expect(updated!.after).not.toHaveProperty('changedBy');
    expect(updated!.after).not.toHaveProperty('gsi1pk');
  });

  it('are deleted when the record becomes a tombstone, by whoever deleted it', () => {
    const tombstone = { pk: 'CONTACT#C1', sk: 'RECORD', entity: 'tombstone', id: 'C1', deletedAt: '2026-01-03T00:00:00.000Z', deletedBy: { type: 'user', id: 'u2', role: 'admin' } };
    expect(recordChangeOf(change('modified', item(contact), tombstone))).toMatchObject({ event: 'deleted', version: 1, actor: { type: 'user', id: 'u2' }, at: '2026-01-03T00:00:00.000Z' });
    // The sweep removing the tombstone is not a change of the record.
    expect(recordChangeOf(change('removed', tombstone, undefined))).toBeUndefined();
  });

  it('are nothing for a rewrite that changes no field (a migration moving index keys)', () => {
    expect(recordChangeOf(change('modified', item(contact), { ...item(contact), gsi1pk: 'CONTACT#S3' }))).toBeUndefined();
  });
});

describe('the history of a change', () => {
  it('keeps large structured values out of it (a sequence whose steps carry HTML), as it shortens long texts', () => {
    const steps = (html: string) => [{ delayMinutes: 0, subject: 'Hi', text: 'Hello', html }];
    const [change] = changedFields({ steps: steps('<p>old</p>') }, { steps: steps(`<p>${'x'.repeat(90_000)}</p>`) }, ['steps']);
    expect(change!.from).toEqual(steps('<p>old</p>'));
    expect(change!.to).toMatch(/^\(\d+ characters of JSON, too long to keep in the history\)$/);
    expect(JSON.stringify(change).length).toBeLessThan(1_000);
  });
});
