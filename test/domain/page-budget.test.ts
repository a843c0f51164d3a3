import { describe, expect, it } from 'vitest';
import { fitPage } from '../../domain/shared/page-budget';

const entry = (n: number, size: number) => ({ value: { n, text: 'x'.repeat(size) }, key: { pk: 'P', sk: `S${n}` } });

describe('page size budget', () => {
  it('keeps a page that fits, with the query cursor', () => {
    expect(fitPage([entry(1, 10), entry(2, 10)], { pk: 'P', sk: 'NEXT' }, 1_000)).toEqual({ items: [entry(1, 10).value, entry(2, 10).value], lastKey: { pk: 'P', sk: 'NEXT' } });
  });

  it('cuts a page that would outgrow the budget and resumes right after the last kept entry', () => {
    const page = fitPage([entry(1, 400), entry(2, 400), entry(3, 400)], undefined, 1_000);
    expect(page.items.map((item) => item.n)).toEqual([1, 2]);
    expect(page.lastKey).toEqual({ pk: 'P', sk: 'S2' });
  });

  it('always keeps at least one entry, so paging makes progress', () => {
    expect(fitPage([entry(1, 5_000)], undefined, 1_000).items).toHaveLength(1);
  });
});
