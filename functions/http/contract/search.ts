import * as z from '../../../domain/shared/zod';
import { companyModel } from '../../../domain/records/company';
import { contactModel } from '../../../domain/records/contact';
import { dealModel } from '../../../domain/records/deal';
import { collectionOf } from '../../../domain/records/record-model';
import { pageCursor, pageLimit } from '../../../domain/records/schema-helpers';
import { searchableTypes, type SearchableType } from '../../../domain/search/search-terms';
import { operation } from '../api-operation';
import { pageOf } from './common';

const typeOfCollection = new Map(searchableTypes.map((type) => [collectionOf[type], type] as const));
const collections = [...typeOfCollection.keys()];
const collectionList = new RegExp(`^(${collections.join('|')})(,(${collections.join('|')}))*$`);

export const searchQuerySchema = z.strictObject({
  q: z.string().check(z.trim(), z.minLength(1), z.maxLength(200), z.meta({ description: 'At least 2 letters or digits (4 digits for a phone number). Case and accents do not matter.', example: 'jose' })),
  types: z._default(
    z.pipe(
      z.string().check(z.regex(collectionList, `a comma-separated list of ${collections.join(', ')}`)),
      z.transform((list): SearchableType[] => [...new Set(list.split(','))].map((collection) => typeOfCollection.get(collection as never)!)),
    ),
    [...searchableTypes],
  ).check(z.meta({ description: `Which records to search, comma-separated; all of ${collections.join(', ')} unless given.` })),
  limit: pageLimit,
  cursor: z.optional(pageCursor),
});

const hit = (type: SearchableType, record: z.ZodMiniType) =>
  z.object({
    type: z.literal(type),
    id: z.string(),
    match: z.enum(['exact', 'prefix', 'word', 'ending']).check(z.meta({ description: 'exact: a whole value equals the query; prefix: a name, email or domain starts with it; word: a later word of a name (or an email domain) does; ending: a phone number ends with the digits.' })),
    field: z.enum(['name', 'email', 'emailDomain', 'domain', 'phone']),
    record,
  });

const searchHit = () => z.union([hit('contact', contactModel.recordSchema), hit('company', companyModel.recordSchema), hit('deal', dealModel.recordSchema)]).check(z.meta({ id: 'SearchHit' }));

export const searchOperations = {
  search: operation({
    routeKey: 'GET /v1/search',
    operationId: 'search',
    summary: 'Find contacts, companies and deals by name, email, domain or phone: exact matches first, then prefixes, then later words',
    description:
      'Served by the search index the CRM keeps in its table (no other service): a page costs the same at any table size. The index follows writes about a second behind. Each record appears once, at its best match. A page may hold fewer hits than `limit`, rarely none: keep reading while `nextCursor` is not null.',
    tag: 'Search',
    query: searchQuerySchema,
    success: { status: 200, description: 'One page of hits', schema: () => pageOf(searchHit(), 'SearchHitPage') },
  }),
};
