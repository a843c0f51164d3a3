import * as z from '../shared/zod';
import { customProperties, externalId, externalIdLookup, shortText, tags, userId } from '../shared/common-fields';
import { byLastUpdate, recordsByFacet, recordsByOwner, recordsByType } from '../shared/keys';
import { caseFolded, instantSort, nameSort, singleValued, tagFilter, updateRangeOf } from './list-views';
import { once } from '../shared/built-on-first-use';
import { externalIdField, recordModel, type CrmRecord } from './record-model';
import { listQuerySchemaOf, patchSchemaOf, searchQueryParameter, serverRecordSchema, tagParameter } from './schema-helpers';

export const companySizes = ['1-10', '11-50', '51-200', '201-500', '501-1000', '1001-5000', '5001+'] as const;

const hostname = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * `https://www.Example.com/about` and `example.com.` are the same company domain. Applying it
 * twice changes nothing (every leading `www.` goes), so the stored domain, its uniqueness
 * guard and a lookup all agree.
 */
export function normalizeDomain(input: string): string {
  return input
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/[/?#].*$/, '')
    .replace(/:\d+$/, '')
    .replace(/^(www\.)+/, '')
    .replace(/\.$/, '');
}

const companyShape = once(() => ({
  name: shortText(200),
  domain: z
    .pipe(z.pipe(z.string().check(z.maxLength(300)), z.transform(normalizeDomain)), z.string().check(z.regex(hostname, 'a domain like example.com')))
    .check(z.meta({ description: 'Normalized (lower case, no scheme, www. or path) and unique per deployment.' })),
  externalId,
  industry: shortText(100),
  size: z.enum(companySizes).check(z.meta({ description: 'Employee count band.' })),
  ownerId: userId,
  tags,
  properties: customProperties,
}));

export const companyModel = recordModel(
  {
    type: 'company',
    uniqueFields: [{ field: 'domain', normalize: normalizeDomain }, externalIdField],
    references: [],

    indexKeys: (record: CrmRecord) => ({
      ...(record.ownerId ? recordsByOwner.attributes({ type: 'company', ownerId: record.ownerId as string }, byLastUpdate(record)) : {}),
      ...(record.industry ? recordsByFacet.attributes({ type: 'company', facet: 'industry', value: caseFolded(record.industry as string) }, byLastUpdate(record)) : {}),
    }),

    lists: {
      filters: [singleValued('ownerId'), singleValued('industry', caseFolded), tagFilter],
      sorts: [instantSort('createdAt'), instantSort('updatedAt'), nameSort((company) => company.name)],
      views: [
        { filters: [], sorts: ['createdAt', 'name'], indexed: { updatedAt: (_, range) => recordsByType.query({ type: 'company' }, updateRangeOf(range)) } },
        { filters: ['ownerId'], sorts: ['name'], indexed: { updatedAt: ({ ownerId }, range) => recordsByOwner.query({ type: 'company', ownerId: ownerId! }, updateRangeOf(range)) } },
        { filters: ['industry'], sorts: ['name'], indexed: { updatedAt: ({ industry }, range) => recordsByFacet.query({ type: 'company', facet: 'industry', value: industry! }, updateRangeOf(range)) } },
        { filters: ['tag'], sorts: ['updatedAt', 'name'] },
      ],
    },
  },
  {
    createSchema: () => z.partial(z.strictObject(companyShape()), { domain: true, externalId: true, industry: true, size: true, ownerId: true, tags: true, properties: true }).check(z.meta({ id: 'CompanyCreate' })),
    updateSchema: () => patchSchemaOf(companyShape(), ['name'], 'CompanyUpdate'),
    recordSchema: () =>
      serverRecordSchema('Company', {
        ...Object.fromEntries(Object.entries(companyShape()).map(([name, schema]) => [name, z.optional(schema)])),
        name: z.string(),
        domain: z.optional(z.string()),
      }),
    listQuerySchema: () =>
      listQuerySchemaOf(companyModel.lists, {
        ...searchQueryParameter,
        industry: z.optional(shortText(100)),
        tag: tagParameter,
        domain: z.optional(z.string().check(z.maxLength(300))).check(z.meta({ description: 'Look a company up by domain (normalized the same way).' })),
        externalId: externalIdLookup('company'),
      }),
  },
);
