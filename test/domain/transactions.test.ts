import { describe, expect, it } from 'vitest';
import { MAX_TRANSACTION_OPS, packTransactions } from '../../domain/shared/transactions';
import type { WriteOp } from '../../domain/shared/table-port';

const put = (pk: string, sk = 'RECORD', bytes = 0): WriteOp => ({ op: 'put', item: { pk, sk, ...(bytes ? { padding: 'x'.repeat(bytes) } : {}) }, condition: { kind: 'absent' } });
const check = (pk: string, version?: number): WriteOp => ({ op: 'check', key: { pk, sk: 'RECORD' }, condition: version ? { kind: 'liveAtVersion', version } : { kind: 'live' } });
const write = (name: string, ...ops: WriteOp[]) => ({ name, ops });

describe('packTransactions', () => {
  it('fills transactions up to DynamoDB’s 100 operations, in order', () => {
    const writes = Array.from({ length: 70 }, (_, n) => write(`w${n}`, put(`CONTACT#${n}`), put(`CONTACT#${n}`, 'TL#1'), put(`GUARD#${n}`)));
    const packed = packTransactions(writes);
    expect(packed.map((transaction) => transaction.ops.length)).toEqual([99, 99, 12]);
    expect(packed.flatMap((transaction) => transaction.writes.map((w) => w.name))).toEqual(writes.map((w) => w.name));
    expect(packed.every((transaction) => transaction.ops.length <= MAX_TRANSACTION_OPS)).toBe(true);
  });

  it('makes one check of an item for every write that checks it the same way, and knows whose it is', () => {
    const a = write('a', put('DEAL#a'), check('PIPELINE#default', 3));
    const b = write('b', put('DEAL#b'), check('PIPELINE#default', 3));
    const [only] = packTransactions([a, b]);
    expect(only!.ops).toHaveLength(3);
    expect(only!.owners[1]!.map((w) => w.name)).toEqual(['a', 'b']);
  });

  it('puts writes that touch one item in different ways into different transactions', () => {
    const a = write('a', put('DEAL#a'), check('PIPELINE#default', 3));
    const b = write('b', put('DEAL#b'), check('PIPELINE#default', 4));
    const c = write('c', put('DEAL#a', 'TL#1'), put('DEAL#c'));
    const packed = packTransactions([a, b, c]);
    expect(packed.map((transaction) => transaction.writes.map((w) => w.name))).toEqual([['a', 'c'], ['b']]);
  });

  it('keeps a transaction under DynamoDB’s 4 MB, and gives a write too big for any its own', () => {
    const big = (name: string) => write(name, put(`ACTIVITY#${name}`, 'RECORD', 390_000));
    const packed = packTransactions(Array.from({ length: 12 }, (_, n) => big(`b${n}`)));
    expect(packed.map((transaction) => transaction.writes.length)).toEqual([8, 4]);
    const huge = write('huge', ...Array.from({ length: 120 }, (_, n) => put(`X#${n}`)));
    expect(packTransactions([write('small', put('Y')), huge]).map((transaction) => transaction.writes.map((w) => w.name))).toEqual([['small'], ['huge']]);
  });
});
