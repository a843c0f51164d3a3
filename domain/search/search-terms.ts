import type { CrmRecord, RecordType } from '../records/record-model';

/**
 * What makes a record findable: the search terms derived from its names, email, domain and
 * phone, each kept as an index item (keys.ts searchTerms) so a search is a prefix Query.
 * Pure functions: the indexer (search-index.ts) writes the terms of a change, the search
 * (search-records.ts) folds a query the same way and re-derives a hit's terms to rank it.
 *
 * Folding: lower case, accents of Latin, Greek and Cyrillic letters dropped (`José` → `jose`),
 * letters without a decomposition spelled out (`ß` → `ss`, `Ø` → `o`), apostrophes dropped
 * (`O'Brien` → `obrien`), and any other run of what is neither a letter nor a digit, in any
 * script, one space (`Berners-Lee` → `berners lee`, `ada@acme.com` → `ada acme com`,
 * `王 小明` stays as it is). German umlauts have a second spelling: a name with
 * `ä`, `ö` or `ü` is also kept as `ae`, `oe`, `ue`, and a query with one is folded that way,
 * so `müller` and `mueller` find both `Müller` and `Mueller`, and `muller` finds `Müller`.
 */

export type SearchableType = Extract<RecordType, 'contact' | 'company' | 'deal'>;
export const searchableTypes: readonly SearchableType[] = ['contact', 'company', 'deal'];
export const isSearchable = (type: RecordType): type is SearchableType => (searchableTypes as readonly string[]).includes(type);

/**
 * How a term matches, which is also how hits rank: a `whole` value (a full name either way
 * round, an email, a company's domain) before a `word` later in a name (or a contact's
 * email domain); `phone` terms are the digits of a number, reversed, so its ending is a prefix.
 */
export type TermKind = 'whole' | 'word' | 'phone';
export type MatchedField = 'name' | 'email' | 'emailDomain' | 'domain' | 'phone';

export interface SearchTerm {
  readonly kind: TermKind;
  /** Folded: `[a-z0-9]` words separated by single spaces (phone: reversed digits). */
  readonly term: string;
  readonly field: MatchedField;
}

/** Terms are cut to this many characters: a prefix this long is as specific as a search gets. */
export const MAX_TERM_LENGTH = 100;
/** The shortest query: one letter would read a large share of every list. */
export const MIN_QUERY_LENGTH = 2;
/** The fewest digits a phone search takes (the end of a number). */
export const MIN_PHONE_DIGITS = 4;
/** Later words of one name that become `word` terms. */
const MAX_WORDS = 6;

const spelledOut: Readonly<Record<string, string>> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };
const umlauts: Readonly<Record<string, string>> = { ä: 'ae', ö: 'oe', ü: 'ue' };

/** Marks on letters of these scripts are accents (`é`, `ё`, `ά`); elsewhere (Devanagari, Thai) they are part of the letter. */
const accent = /(?<=[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])\p{M}+/gu;

function foldWith(text: string, spellUmlauts: boolean): string {
  // Composed first: an umlaut typed as u + combining diaeresis is the same ü.
  let folded = text.normalize('NFC').toLowerCase();
  if (spellUmlauts) folded = folded.replace(/[äöü]/g, (letter) => umlauts[letter]!);
  return folded
    .normalize('NFKD')
    .replace(accent, '')
    .normalize('NFC')
    .replace(/[ßæœøłđðþı]/g, (letter) => spelledOut[letter]!)
    .replace(/['’`]/g, '')
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, ' ')
    .trim();
}

/** A term as stored: folded, and cut (a prefix that long is as specific as a search gets). */
const termOf = (text: string, spellUmlauts = false) => [...foldWith(text, spellUmlauts)].slice(0, MAX_TERM_LENGTH).join('').trimEnd();

/** The folded form of a text, as terms are stored. */
export const foldText = (text: string) => termOf(text);

const hasUmlaut = (text: string) => /[äöü]/i.test(text.normalize('NFC'));

/**
 * Every spelling of a name: the folded one, the umlauts spelled out when it has any, and
 * with an apostrophe as a space when it has one (`l oreal` of `L'Oréal`: found by `oreal`).
 */
function spellings(text: string): string[] {
  const variants = [termOf(text), ...(hasUmlaut(text) ? [termOf(text, true)] : []), ...(/['’`]/.test(text) ? [termOf(text.replace(/['’`]/g, ' '))] : [])];
  return [...new Set(variants)];
}

/**
 * A number's own digits: without an extension (`x89`, `ext. 89`), a `(0)` trunk in an
 * international number, or the trunk 0 (`020 …`) or international 00 of a whole number.
 */
const digitsOf = (phone: string) =>
  phone
    .replace(/\s*(?:x|ext\.?|extension|#)\s*\d+\s*$/i, '')
    .replace(/\(0\)/g, '')
    .replace(/\D/g, '')
    .replace(/^0+(?=\d{7})/, '');
const reversed = (text: string) => [...text].reverse().join('');

/** A name's whole-value terms and the terms starting at each later word (`maria muller` of `jose maria muller`). */
function nameTerms(text: string): SearchTerm[] {
  return spellings(text).flatMap((spelling) => {
    const words = spelling.split(' ');
    const later = words.slice(1, 1 + MAX_WORDS).map((_, index) => words.slice(1 + index).join(' '));
    return [{ kind: 'whole' as const, term: spelling, field: 'name' as const }, ...later.map((term) => ({ kind: 'word' as const, term, field: 'name' as const }))];
  });
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

function contactTerms(contact: CrmRecord): SearchTerm[] {
  const first = text(contact.firstName);
  const last = text(contact.lastName);
  const terms: SearchTerm[] = [];
  const full = `${first} ${last}`.trim();
  if (full) terms.push(...nameTerms(full));
  // Last name first: "muller j" finds José Müller.
  if (first && last) terms.push(...spellings(`${last} ${first}`).map((term) => ({ kind: 'whole' as const, term, field: 'name' as const })));
  const email = text(contact.email);
  if (email) {
    terms.push({ kind: 'whole', term: foldText(email), field: 'email' });
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (domain) terms.push({ kind: 'word', term: foldText(domain), field: 'emailDomain' });
  }
  const digits = digitsOf(text(contact.phone));
  if (digits.length >= MIN_PHONE_DIGITS) terms.push({ kind: 'phone', term: reversed(digits), field: 'phone' });
  return terms;
}

function companyTerms(company: CrmRecord): SearchTerm[] {
  const terms = nameTerms(text(company.name));
  if (company.domain) terms.push({ kind: 'whole', term: foldText(text(company.domain)), field: 'domain' });
  return terms;
}

const termsByType: Readonly<Record<SearchableType, (record: CrmRecord) => SearchTerm[]>> = {
  contact: contactTerms,
  company: companyTerms,
  deal: (deal) => nameTerms(text(deal.name)),
};

/**
 * A record's search terms: distinct by kind and term, none shorter than a query may be, and
 * no `word` term that begins a `whole` one (`lovelace` of `lovelace ada`): every query it
 * would answer, the whole term answers first.
 */
export function searchTermsOf(type: SearchableType, record: CrmRecord): SearchTerm[] {
  const all = termsByType[type](record).filter((term) => [...term.term].length >= MIN_QUERY_LENGTH);
  const wholes = all.filter((term) => term.kind === 'whole');
  const distinct = new Map<string, SearchTerm>();
  for (const term of all) {
    if (term.kind === 'word' && wholes.some((whole) => whole.term.startsWith(term.term))) continue;
    const identity = `${term.kind} ${term.term}`;
    if (!distinct.has(identity)) distinct.set(identity, term);
  }
  return [...distinct.values()];
}

/** A query as the index is read: which kinds of terms, each with the prefix to look for, in rank order. */
export interface ParsedQuery {
  readonly phases: readonly { readonly kind: TermKind; readonly prefix: string }[];
}

/**
 * Text matches names, emails and domains by prefix: whole values first, then later words.
 * A query of digits (with the punctuation phone numbers have) is also a phone search, first:
 * numbers that end with those digits or are them (`2079460958`, `020 7946 0958` and `0958`
 * all find `+44 20 7946 0958`), then the same digits as text (`2024` finds `Studio 2024`).
 * Undefined when the query is too short to search.
 */
export function parseQuery(query: string): ParsedQuery | undefined {
  const text = foldWith(query, hasUmlaut(query));
  const textPhases = [...text].length >= MIN_QUERY_LENGTH ? [{ kind: 'whole' as const, prefix: text }, { kind: 'word' as const, prefix: text }] : [];
  const digits = /^[\d\s+().\-x]+$/.test(query.trim()) ? digitsOf(query) : '';
  const phases = [...(digits.length >= MIN_PHONE_DIGITS ? [{ kind: 'phone' as const, prefix: reversed(digits) }] : []), ...textPhases];
  return phases.length > 0 ? { phases } : undefined;
}

export type MatchRank = 'exact' | 'prefix' | 'word' | 'ending';

/** How a term of a record matched a query's prefix, for the hit's `match`. */
export function matchRankOf(term: SearchTerm, prefix: string): MatchRank {
  if (term.kind === 'word') return 'word';
  if (term.term === prefix) return 'exact';
  return term.kind === 'whole' ? 'prefix' : 'ending';
}
