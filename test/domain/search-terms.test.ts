import { describe, expect, it } from 'vitest';
import { indexWritesOf } from '../../domain/records/record-index';
import { searchTermItemsOf } from '../../domain/search/search-index';
import { foldText, parseQuery, searchTermsOf } from '../../domain/search/search-terms';
import type { RecordChange } from '../../domain/records/record-change';
import type { CrmRecord } from '../../domain/records/record-model';

/** The record indexer's writes for search terms alone. */
const searchIndexWritesOf = (changes: readonly RecordChange[]) => indexWritesOf(changes, searchTermItemsOf);

const record = (fields: Record<string, unknown>): CrmRecord => ({ id: 'r1', createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', version: 1, ...fields });
const terms = (type: 'contact' | 'company' | 'deal', fields: Record<string, unknown>) => searchTermsOf(type, record(fields)).map((term) => `${term.kind}:${term.term}`);

describe('folding', () => {
  it.each([
    ['José', 'jose'],
    ['  ÅSA  Öberg ', 'asa oberg'],
    ['Straße', 'strasse'],
    ['Søren Kierkegaard', 'soren kierkegaard'],
    ["O'Brien", 'obrien'],
    ['Berners-Lee', 'berners lee'],
    ['ada@Acme.COM', 'ada acme com'],
    ['Łukasz Żółć', 'lukasz zolc'],
    ['ＡＢＣ', 'abc'],
    ['Mu\u0308ller', 'muller'],
    ['王 小明', '王 小明'],
    ['Ελένη Παπαδοπούλου', 'ελενη παπαδοπουλου'],
    ['Дмитрий Ёлкин', 'дмитрии елкин'],
    ['देवनागरी', 'देवनागरी'],
  ])('%s → %s', (text, folded) => expect(foldText(text)).toBe(folded));
});

describe('search terms of a record', () => {
  it('a contact: full name both ways, email, email domain as a later word, phone digits reversed', () => {
    expect(terms('contact', { firstName: 'José', lastName: 'Müller', email: 'jose@acme.example', phone: '+44 20 7946 0958' })).toEqual([
      'whole:jose muller',
      'whole:jose mueller',
      'whole:muller jose',
      'whole:mueller jose',
      'whole:jose acme example',
      'word:acme example',
      'phone:859064970244',
    ]);
  });

  it('later words of a name, but none that a whole term already begins with', () => {
    expect(terms('contact', { firstName: 'Ada', lastName: 'Lovelace' })).toEqual(['whole:ada lovelace', 'whole:lovelace ada']);
    expect(terms('contact', { firstName: 'Jose Maria', lastName: 'Garcia' })).toEqual(['whole:jose maria garcia', 'word:maria garcia', 'whole:garcia jose maria']);
    expect(terms('company', { name: 'The Big Company', domain: 'big.example' })).toEqual(['whole:the big company', 'word:big company', 'word:company', 'whole:big example']);
    expect(terms('deal', { name: 'Q' })).toEqual([]);
    expect(terms('company', { name: "L'Oréal" })).toEqual(['whole:loreal', 'whole:l oreal', 'word:oreal']);
  });

  it('a phone number without its extension or (0) trunk', () => {
    expect(terms('contact', { firstName: 'Ext', phone: '+1 555 123 4567 x89' })).toContain('phone:76543215551');
    expect(terms('contact', { firstName: 'Trunk', phone: '+49 (0)30 1000000' })).toContain('phone:00000010394');
  });
});

const text = (prefix: string) => [
  { kind: 'whole', prefix },
  { kind: 'word', prefix },
];

describe('queries', () => {
  it('digits with phone punctuation search phone endings first, then the same digits as text', () => {
    expect(parseQuery('+44 (20) 7946-0958')).toEqual({ phases: [{ kind: 'phone', prefix: '859064970244' }, ...text('44 20 7946 0958')] });
    expect(parseQuery('0958')).toEqual({ phases: [{ kind: 'phone', prefix: '8590' }, ...text('0958')] });
    // A national number's trunk 0 (and an international 00) is no digit of the number itself.
    expect(parseQuery('020 7946 0958')!.phases[0]).toEqual({ kind: 'phone', prefix: '8590649702' });
    expect(parseQuery('0044 20 7946 0958')!.phases[0]).toEqual({ kind: 'phone', prefix: '859064970244' });
    // Too few digits for a phone: text only.
    expect(parseQuery('095')).toEqual({ phases: text('095') });
  });

  it('folds text like terms, umlauts spelled out, however the accent was typed', () => {
    expect(parseQuery('MÜLLER')).toEqual({ phases: text('mueller') });
    expect(parseQuery('Mu\u0308ller')).toEqual({ phases: text('mueller') });
    expect(parseQuery('José M')).toEqual({ phases: text('jose m') });
    expect(parseQuery('a')).toBeUndefined();
    expect(parseQuery('!!')).toBeUndefined();
  });

  it('keeps letters of every script, and a query longer than a term finds nothing cut short', () => {
    expect(parseQuery('小明')).toEqual({ phases: text('小明') });
    expect(parseQuery('Ελένη')).toEqual({ phases: text('ελενη') });
    expect(parseQuery('Иван')).toEqual({ phases: text('иван') });
    expect(parseQuery('x'.repeat(150))!.phases[0]!.prefix).toHaveLength(150);
  });
});

describe('index writes of a batch of changes', () => {
  const change = (event: RecordChange['event'], before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, version: number): RecordChange => ({
    recordType: 'company',
    id: 'c1',
    event,
    version,
    ...(before ? { before: record(before) } : {}),
    ...(after ? { after: record(after) } : {}),
    changes: [],
    at: '2026-11-30T00:00:00.000Z',
  });
  const sortKeys = (writes: ReturnType<typeof searchIndexWritesOf>) => ({ puts: writes.puts.map((item) => item.sk).sort(), deletes: writes.deletes.map((key) => key.sk).sort() });

  it('the last change of each term wins: renamed twice in one batch leaves only the last name', () => {
    const writes = searchIndexWritesOf([change('created', undefined, { name: 'Alpha' }, 1), change('updated', { name: 'Alpha' }, { name: 'Beta' }, 2), change('updated', { name: 'Beta' }, { name: 'Gamma' }, 3)]);
    expect(sortKeys(writes)).toEqual({ puts: ['SEARCH#WHOLE#gamma'], deletes: ['SEARCH#WHOLE#alpha', 'SEARCH#WHOLE#beta'] });
  });

  it('an update of other fields writes nothing; a deletion removes every term', () => {
    expect(sortKeys(searchIndexWritesOf([change('updated', { name: 'Alpha', industry: 'A' }, { name: 'Alpha', industry: 'B' }, 2)]))).toEqual({ puts: [], deletes: [] });
    expect(sortKeys(searchIndexWritesOf([change('deleted', { name: 'Alpha Beta' }, undefined, 2)]))).toEqual({ puts: [], deletes: ['SEARCH#WHOLE#alpha.beta', 'SEARCH#WORD#beta'] });
  });

  it('the same batch twice writes the same state', () => {
    const batch = [change('updated', { name: 'Alpha' }, { name: 'Beta' }, 2)];
    expect(searchIndexWritesOf(batch)).toEqual(searchIndexWritesOf(batch));
  });
});
