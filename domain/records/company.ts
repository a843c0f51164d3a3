import * as z from '../shared/zod';
import { customProperties, shortText, tags, userId } from '../shared/common-fields';
import { byLastUpdate, recordsByFacet, recordsByOwner } from '../shared/keys';
import { once } from '../shared/built-on-first-use';
import { recordModel, type CrmRecord } from './record-model';
import { commonListQuery, onlyOneFilter, patchSchemaOf, searchQueryParameter, serverRecordSchema } from './schema-helpers';

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
  industry: shortText(100),
  size: z.enum(companySizes).check(z.meta({ description: 'Employee count band.' })),
  ownerId: userId,
  tags,
  properties: customProperties,
}));

export const companyModel = recordModel(
  {
    type: 'company',
    uniqueField: { field: 'domain', normalize: normalizeDomain },
    references: [],

    indexKeys: (record: CrmRecord) => ({
      ...(record.ownerId ? recordsByOwner.attributes({ type: 'company', ownerId: record.ownerId as string }, byLastUpdate(record)) : {}),
      ...(record.industry ? recordsByFacet.attributes({ type: 'company', facet: 'industry', value: (record.industry as string).toLowerCase() }, byLastUpdate(record)) : {}),
    }),

    listPattern(filters) {
      const updatedSince = filters.updatedSince as string | undefined;
      switch (onlyOneFilter(filters, ['ownerId', 'industry'])) {
        case 'ownerId':
          return recordsByOwner.query({ type: 'company', ownerId: filters.ownerId as string }, { updatedSince });
        case 'industry':
          return recordsByFacet.query({ type: 'company', facet: 'industry', value: (filters.industry as string).toLowerCase() }, { updatedSince });
        default:
          return undefined;
      }
    },
  },
  {
    createSchema: () => z.partial(z.strictObject(companyShape()), { domain: true, industry: true, size: true, ownerId: true, tags: true, properties: true }).check(z.meta({ id: 'CompanyCreate' })),
    updateSchema: () => patchSchemaOf(companyShape(), ['name'], 'CompanyUpdate'),
    recordSchema: () =>
      serverRecordSchema('Company', {
        ...Object.fromEntries(Object.entries(companyShape()).map(([name, schema]) => [name, z.optional(schema)])),
        name: z.string(),
        domain: z.optional(z.string()),
      }),
    listQuerySchema: () =>
      z.strictObject({
        ...commonListQuery,
        ...searchQueryParameter,
        industry: z.optional(shortText(100)),
        domain: z.optional(z.string().check(z.maxLength(300))).check(z.meta({ description: 'Look a company up by domain (normalized the same way).' })),
      }),
  },
);
