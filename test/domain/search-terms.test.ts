import { describe, expect, it } from 'vitest';
import { searchIndexWritesOf } from '../../domain/search/search-index';
import { foldText, parseQuery, searchTermsOf } from '../../domain/search/search-terms';
import type { RecordChange } from '../../domain/records/record-change';
import type { CrmRecord } from '../../domain/records/record-model';

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
  });
});

describe('queries', () => {
  it('digits with phone punctuation are a phone search by ending', () => {
    expect(parseQuery('+44 (20) 7946-0958')).toEqual({ prefix: '859064970244', kinds: ['phone'] });
    // A national number's trunk 0 (and an international 00) is no digit of the number itself.
    expect(parseQuery('020 7946 0958')).toEqual({ prefix: '8590649702', kinds: ['phone'] });
    expect(parseQuery('0044 20 7946 0958')).toEqual({ prefix: '859064970244', kinds: ['phone'] });
    expect(parseQuery('0958')).toEqual({ prefix: '8590', kinds: ['phone'] });
    // Too few digits for a phone: a text search.
    expect(parseQuery('095')).toEqual({ prefix: '095', kinds: ['whole', 'word'] });
  });

  it('folds text like terms, umlauts spelled out', () => {
    expect(parseQuery('MÜLLER')).toEqual({ prefix: 'mueller', kinds: ['whole', 'word'] });
    expect(parseQuery('José M')).toEqual({ prefix: 'jose m', kinds: ['whole', 'word'] });
    expect(parseQuery('a')).toBeUndefined();
    expect(parseQuery('!!')).toBeUndefined();
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
