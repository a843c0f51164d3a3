import type { WriteOp } from './table-port';

/** DynamoDB's limits on one TransactWriteItems: 100 operations, 4 MB of items in all. */
export const MAX_TRANSACTION_OPS = 100;
/** Item sizes are estimated from their JSON, which runs close to DynamoDB's count: keep a margin. */
const MAX_TRANSACTION_BYTES = 3_500_000;

/** A set of operations that must land together, such as one record's creation. */
export interface TransactionWrite {
  readonly ops: readonly WriteOp[];
}

export interface PackedTransaction<W extends TransactionWrite> {
  readonly ops: readonly WriteOp[];
  /** The writes each operation belongs to: an identical condition check is shared. */
  readonly owners: readonly (readonly W[])[];
  readonly writes: readonly W[];
}

const keyOf = (op: WriteOp) => {
  const key = op.op === 'put' ? op.item : op.key;
  return `${key.pk}\u0000${key.sk}`;
};
const sizeOf = (op: WriteOp) => (op.op === 'put' ? JSON.stringify(op.item).length : JSON.stringify(op.op === 'add' ? [op.key, op.amounts] : op.key).length);
const sameCheck = (a: WriteOp, b: WriteOp) => a.op === 'check' && b.op === 'check' && JSON.stringify(a.condition) === JSON.stringify(b.condition);

class OpenTransaction<W extends TransactionWrite> {
  readonly ops: WriteOp[] = [];
  readonly owners: W[][] = [];
  readonly writes: W[] = [];
  private readonly positions = new Map<string, number>();
  private bytes = 0;

  /** Adds the write if it fits and touches no item another write here touches (other than by the same check). */
  add(write: W): boolean {
    const added: WriteOp[] = [];
    const shared: number[] = [];
    for (const op of write.ops) {
      const position = this.positions.get(keyOf(op));
      if (position === undefined) added.push(op);
      else if (sameCheck(op, this.ops[position]!)) shared.push(position);
      else return false;
    }
    const bytes = added.reduce((sum, op) => sum + sizeOf(op), 0);
    if (this.ops.length > 0 && (this.ops.length + added.length > MAX_TRANSACTION_OPS || this.bytes + bytes > MAX_TRANSACTION_BYTES)) return false;
    for (const op of added) {
      this.positions.set(keyOf(op), this.ops.length);
      this.ops.push(op);
      this.owners.push([write]);
    }
    for (const position of shared) this.owners[position]!.push(write);
    this.bytes += bytes;
    this.writes.push(write);
    return true;
  }
}

/**
 * Independent writes packed into as few transactions as DynamoDB accepts, first fit, in
 * order. DynamoDB refuses two operations on one item in a transaction, so a write that
 * touches an item already in a transaction goes to another; the same condition check
 * (two deals checking one pipeline's version) is made once for both. A write too big for
 * any transaction gets one of its own, and fails there as it would alone.
 */
export function packTransactions<W extends TransactionWrite>(writes: readonly W[]): PackedTransaction<W>[] {
  const transactions: OpenTransaction<W>[] = [];
  for (const write of writes) {
    if (transactions.some((transaction) => transaction.add(write))) continue;
    const fresh = new OpenTransaction<W>();
    fresh.add(write);
    transactions.push(fresh);
  }
  return transactions;
}
