import { requireCapability } from '../access/permissions';
import { itemToRecord } from '../records/record-items';
import type { CrmRecord } from '../records/record-model';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import { InvalidCursorError, ValidationError } from '../shared/errors';
import type { ListQuery } from '../shared/key-design';
import { recordKeys, searchTerms } from '../shared/keys';
import type { Page } from '../shared/page';
import { fittingCount, MAX_PAGE_JSON_BYTES, queryList } from '../shared/pagination';
import type { Item } from '../shared/table-port';
import { searchTermItem } from './search-index';
import {
  matchRankOf,
  MIN_PHONE_DIGITS,
  MIN_QUERY_LENGTH,
  parseQuery,
  searchTermsOf,
  type MatchedField,
  type MatchRank,
  type ParsedQuery,
  type SearchableType,
  type SearchTerm,
  type TermKind,
} from './search-terms';

/**
 * Search across contacts, companies and deals by prefix of a name, email, domain or phone
 * ending (search-terms.ts says how text is folded). Hits rank exact, then prefix, then a
 * later word of a name; within a rank, by the matched term, then by record id.
 *
 * A page reads the term lists of the query's first two characters (one per type and shard,
 * in one wave), then the page's records in one BatchGetItem: its cost depends on the page,
 * never on how many records the table holds. The record is read live, so a hit is what the
 * caller may read now, and a record deleted since it was indexed is left out.
 *
 * A record that matches by several terms (a name and an email) is listed once, at its best
 * match: every hit re-derives its record's terms and is kept only when it is that record's
 * first match in list order, so no cursor needs to remember what it showed.
 */

export interface SearchRequest {
  readonly q: string;
  readonly types: readonly SearchableType[];
  readonly limit: number;
  readonly cursor?: string;
}

export interface SearchHit {
  readonly type: SearchableType;
  readonly id: string;
  readonly match: MatchRank;
  readonly field: MatchedField;
  readonly record: CrmRecord;
}

/**
 * Term lists read for one page at most. A page whose hits are mostly second matches of
 * records already shown (or of records deleted since) comes back shorter, with a cursor.
 */
const MAX_READS_PER_PAGE = 4;

/** The term lists of one kind for every searched type, read and merged as one list. */
function termList(types: readonly SearchableType[], kind: TermKind, prefix: string): ListQuery {
  const lists = types.map((type) => searchTerms.query({ type, kind, term: prefix }, { prefix }));
  // The hits may all be of one type: each shard is asked for its share of that type's list.
  return { ...lists[0]!, partitionKeys: lists.flatMap((list) => list.partitionKeys), pageSpreadsOver: lists[0]!.partitionKeys.length };
}

/** `<kind position>.<cursor of that kind's list>`: which kind of terms a page resumes, and where. */
function decodeCursor(cursor: string | undefined, kinds: number): { kindIndex: number; listCursor?: string } {
  if (cursor === undefined) return { kindIndex: 0 };
  const match = /^(\d)\.(.*)$/.exec(cursor);
  const kindIndex = Number(match?.[1]);
  if (!match || kindIndex >= kinds) throw new InvalidCursorError();
  return { kindIndex, ...(match[2] ? { listCursor: match[2] } : {}) };
}

const encodeCursor = (kindIndex: number, listCursor: string | undefined) => `${kindIndex}.${listCursor ?? ''}`;

/** Where a term of a record sorts among all hits: its phase first, then its place in the phase's list; undefined when no phase matches it. */
function orderOf(query: ParsedQuery, type: SearchableType, id: string, term: SearchTerm): readonly [number, string] | undefined {
  const phase = query.phases.findIndex((candidate) => candidate.kind === term.kind && term.term.startsWith(candidate.prefix));
  return phase < 0 ? undefined : [phase, String(searchTermItem(type, id, term).gsi1sk)];
}

const before = (a: readonly [number, string], b: readonly [number, string]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
/** Which field a hit names when several match equally well: the one a person recognises first. */
const fieldPreference: readonly MatchedField[] = ['name', 'email', 'domain', 'emailDomain', 'phone'];

/** The hits of one page of term items: undefined for an item that is not its record's best match, or whose record is gone. */
async function hitsOf(deps: CoreDependencies, query: ParsedQuery, termItems: readonly Item[]): Promise<(SearchHit | undefined)[]> {
  const keys = new Map(termItems.map((item) => [String(item.pk), recordKeys.record(item.recordType as SearchableType, String(item.recordId))]));
  const records = new Map((await deps.table.getItems([...keys.values()])).map((item) => [item.pk, itemToRecord(item)]));
  return termItems.map((item) => {
    const type = item.recordType as SearchableType;
    const record = records.get(item.pk);
    if (!record) return undefined;
    const matching = searchTermsOf(type, record).flatMap((term) => {
      const order = orderOf(query, type, record.id, term);
      return order ? [{ term, order }] : [];
    });
    const best = matching.reduce<(typeof matching)[number] | undefined>((first, next) => (!first || before(next.order, first.order) ? next : first), undefined);
    // Changed since it was indexed, or found again by a later term: the best match lists it (or the index will).
    if (!best || best.term.kind !== item.kind || best.term.term !== item.term) return undefined;
    const prefix = query.phases[best.order[0]]!.prefix;
    const match = matchRankOf(best.term, prefix);
    const equally = matching.filter((candidate) => candidate.order[0] === best.order[0] && matchRankOf(candidate.term, prefix) === match).map((candidate) => candidate.term.field);
    const field = fieldPreference.find((candidate) => equally.includes(candidate))!;
    return { type, id: record.id, match, field, record };
  });
}

/** Term items read per page at most, over its reads: a page of second matches still ends. */
const MAX_TERMS_PER_PAGE = 300;

export async function searchRecords(deps: CoreDependencies, request: SearchRequest, actor: Actor): Promise<Page<SearchHit>> {
  requireCapability(actor, 'readRecords', 'search records');
  const query = parseQuery(request.q);
  if (!query) {
    throw new ValidationError(`Search for at least ${MIN_QUERY_LENGTH} letters or digits, or the last ${MIN_PHONE_DIGITS} digits of a phone number.`, [
      { field: 'query.q', message: `at least ${MIN_QUERY_LENGTH} letters or digits` },
    ]);
  }
  let { kindIndex: phaseIndex, listCursor } = decodeCursor(request.cursor, query.phases.length);
  const hits: SearchHit[] = [];
  let bytesLeft = MAX_PAGE_JSON_BYTES;
  let termsRead = 0;
  for (let reads = 0; reads < MAX_READS_PER_PAGE && phaseIndex < query.phases.length && hits.length < request.limit && bytesLeft > 0 && termsRead < MAX_TERMS_PER_PAGE; reads++) {
    const phase = query.phases[phaseIndex]!;
    // Asks for more than the page lacks: some terms are second matches of records already listed.
    const wanted = Math.min(100, 2 * (request.limit - hits.length) + 5);
    const list = await queryList(deps.table, termList(request.types, phase.kind, phase.prefix), { limit: wanted, ...(listCursor ? { cursor: listCursor } : {}) });
    termsRead += list.items.length;
    const values = await hitsOf(deps, query, list.items);
    // Taken up to the hit that fills the page (and within the byte budget); the cursor resumes after it.
    let consumed = 0;
    for (const value of values.slice(0, fittingCount(values, bytesLeft))) {
      consumed++;
      if (!value) continue;
      hits.push(value);
      bytesLeft -= Buffer.byteLength(JSON.stringify(value));
      if (hits.length === request.limit) break;
    }
    const next = list.cursorAfter(consumed);
    if (next === null) {
      phaseIndex++;
      listCursor = undefined;
    } else {
      listCursor = next;
    }
  }
  return { items: hits, nextCursor: phaseIndex < query.phases.length ? encodeCursor(phaseIndex, listCursor) : null };
}
