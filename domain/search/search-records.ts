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
const MAX_READS_PER_PAGE = 3;

/** The term lists of one kind for every searched type, read and merged as one list. */
function termList(types: readonly SearchableType[], kind: TermKind, prefix: string): ListQuery {
  const lists = types.map((type) => searchTerms.query({ type, kind, term: prefix }, { prefix }));
  return { ...lists[0]!, partitionKeys: lists.flatMap((list) => list.partitionKeys) };
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

/** Where a term of a record sorts among all hits: kind first, then its place in the kind's list. */
const orderOf = (query: ParsedQuery, type: SearchableType, id: string, term: SearchTerm) => [query.kinds.indexOf(term.kind), String(searchTermItem(type, id, term).gsi1sk)] as const;

/** The hits of one page of term items: undefined for an item that is not its record's best match, or whose record is gone. */
async function hitsOf(deps: CoreDependencies, query: ParsedQuery, termItems: readonly Item[]): Promise<(SearchHit | undefined)[]> {
  const keys = new Map(termItems.map((item) => [String(item.pk), recordKeys.record(item.recordType as SearchableType, String(item.recordId))]));
  const records = new Map((await deps.table.getItems([...keys.values()])).map((item) => [item.pk, itemToRecord(item)]));
  return termItems.map((item) => {
    const type = item.recordType as SearchableType;
    const record = records.get(item.pk);
    if (!record) return undefined;
    const matching = searchTermsOf(type, record).filter((term) => query.kinds.includes(term.kind) && term.term.startsWith(query.prefix));
    const best = matching.reduce<SearchTerm | undefined>((first, term) => {
      if (!first) return term;
      const [a, b] = [orderOf(query, type, record.id, term), orderOf(query, type, record.id, first)];
      return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]) ? term : first;
    }, undefined);
    // Changed since it was indexed, or found again by a later term: the best match lists it (or the index will).
    if (!best || best.kind !== item.kind || best.term !== item.term) return undefined;
    return { type, id: record.id, match: matchRankOf(best, query.prefix), field: best.field, record };
  });
}

export async function searchRecords(deps: CoreDependencies, request: SearchRequest, actor: Actor): Promise<Page<SearchHit>> {
  requireCapability(actor, 'readRecords', 'search records');
  const query = parseQuery(request.q);
  if (!query) {
    throw new ValidationError(`Search for at least ${MIN_QUERY_LENGTH} letters or digits, or the last ${MIN_PHONE_DIGITS} digits of a phone number.`, [
      { field: 'query.q', message: `at least ${MIN_QUERY_LENGTH} letters or digits` },
    ]);
  }
  let { kindIndex, listCursor } = decodeCursor(request.cursor, query.kinds.length);
  const hits: SearchHit[] = [];
  let bytesLeft = MAX_PAGE_JSON_BYTES;
  for (let reads = 0; reads < MAX_READS_PER_PAGE && kindIndex < query.kinds.length && hits.length < request.limit && bytesLeft > 0; reads++) {
    const list = await queryList(deps.table, termList(request.types, query.kinds[kindIndex]!, query.prefix), { limit: request.limit - hits.length, ...(listCursor ? { cursor: listCursor } : {}) });
    const values = await hitsOf(deps, query, list.items);
    const consumed = fittingCount(values, bytesLeft);
    const kept = values.slice(0, consumed).filter((hit): hit is SearchHit => hit !== undefined);
    hits.push(...kept);
    bytesLeft -= kept.reduce((bytes, hit) => bytes + Buffer.byteLength(JSON.stringify(hit)), 0);
    const next = list.cursorAfter(consumed);
    if (next === null) {
      kindIndex++;
      listCursor = undefined;
    } else {
      listCursor = next;
    }
  }
  return { items: hits, nextCursor: kindIndex < query.kinds.length ? encodeCursor(kindIndex, listCursor) : null };
}
