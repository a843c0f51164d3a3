import * as z from '../shared/zod';
import { customProperties, externalId, externalIdLookup, idList, recordId, shortText, tags, userId } from '../shared/common-fields';
import { ValidationError } from '../shared/errors';
import { instantSort, nameSort, oneOf, singleValued, tagFilter, updateRangeOf } from './list-views';
import { singlePartition } from '../shared/key-design';
import { byLastUpdate, emailsByContact, recordQueries, recordsByFacet, recordsByOwner, recordsByType } from '../shared/keys';
import { once } from '../shared/built-on-first-use';
import { externalIdField, recordModel, type CrmRecord } from './record-model';
import { listQuerySchemaOf, patchSchemaOf, searchQueryParameter, serverRecordSchema, tagParameter } from './schema-helpers';
import { pseudonymizeSuppression } from '../email/suppression-list';
import { moveEmailsOfContact } from '../email/email-message-items';
import { moveEnrollmentsOfContact } from '../sequences/sequence-items';

export const lifecycleStages = ['subscriber', 'lead', 'mql', 'sql', 'opportunity', 'customer', 'evangelist', 'other'] as const;

const contactShape = once(() => ({
  firstName: shortText(100),
  lastName: shortText(100),
  externalId,
  email: z.pipe(z.string().check(z.trim(), z.maxLength(254)), z.email()).check(z.meta({ description: 'Unique per deployment, compared case-insensitively.' })),
  phone: z.string().check(z.trim(), z.minLength(3), z.maxLength(50), z.regex(/^[0-9+()\-. x]+$/, 'digits, spaces and + ( ) - . x only')),
  title: shortText(200),
  lifecycleStage: z.enum(lifecycleStages),
  ownerId: userId,
  primaryCompanyId: recordId.check(z.meta({ description: 'One of companyIds; added to it if missing.' })),
  companyIds: idList(10).check(z.meta({ description: 'Companies the contact is associated with (at most 10).' })),
  tags,
  properties: customProperties,
}));

export const contactModel = recordModel(
  {
    type: 'contact',
    uniqueFields: [{ field: 'email', normalize: (email) => email.trim().toLowerCase() }, externalIdField],
    references: [{ field: 'companyIds', target: 'company', many: true, linkKind: 'association' }],
    // Sent emails hold the address and the text, and so does each one's email activity (it has
    // the message's id): personal data that goes with the contact.
    keptElsewhere: (id) => [{ query: emailsByContact.query({ contactId: id }), ownedRecord: (message) => ({ type: 'activity', id: message.id as string }) }],
    // Merged away, the contact's emails and sequence enrollments are the survivor's.
    async moveElsewhere(deps, fromId, toId, survivorLive) {
      await moveEmailsOfContact(deps, fromId, toId, survivorLive);
      await moveEnrollmentsOfContact(deps, fromId, toId, survivorLive);
    },
    erasesSolelyLinked: ['activity'],
    // Someone who asked never to be emailed stays suppressed once erased, under a hash of the address.
    erasure: {
      valuesOf: (record) => (typeof record.email === 'string' ? [record.email] : []),
      valuesInChange: ({ field, from, to }) => (field === 'email' ? [from, to].filter((address): address is string => typeof address === 'string') : []),
      finish: (table, address) => pseudonymizeSuppression(table, address),
    },

    async derive(draft, { changedFields }) {
      if (!draft.firstName && !draft.lastName && !draft.email) {
        throw new ValidationError('A contact needs a first name, a last name or an email.', [{ field: 'body', message: 'firstName, lastName or email is required' }]);
      }
      const companyIds = (draft.companyIds as string[] | undefined) ?? [];
      const primary = draft.primaryCompanyId as string | undefined | null;
      if (primary && !companyIds.includes(primary) && changedFields.has('primaryCompanyId')) {
        if (companyIds.length >= 10) throw new ValidationError('A contact has at most 10 companies.', [{ field: 'body.companyIds', message: 'at most 10' }]);
        return { companyIds: [primary, ...companyIds], primaryCompanyId: primary };
      }
      // A primary company dropped from companyIds gives way to the first remaining one.
      const keptPrimary = primary && companyIds.includes(primary) ? primary : undefined;
      return { companyIds, primaryCompanyId: keptPrimary ?? companyIds[0] ?? null };
    },

    indexKeys: (record: CrmRecord) => ({
      ...(record.ownerId ? recordsByOwner.attributes({ type: 'contact', ownerId: record.ownerId as string }, byLastUpdate(record)) : {}),
      ...recordsByFacet.attributes({ type: 'contact', facet: 'lifecycle', value: record.lifecycleStage as string }, byLastUpdate(record)),
    }),

    lists: {
      filters: [singleValued('ownerId'), singleValued('lifecycleStage'), tagFilter, oneOf('companyId', 'companyIds')],
      sorts: [instantSort('createdAt'), instantSort('updatedAt'), nameSort((contact) => [contact.lastName, contact.firstName].filter(Boolean).join(' ') || contact.email)],
      views: [
        { filters: [], sorts: ['createdAt', 'name'], indexed: { updatedAt: (_, range) => recordsByType.query({ type: 'contact' }, updateRangeOf(range)) } },
        { filters: ['ownerId'], sorts: ['name'], indexed: { updatedAt: ({ ownerId }, range) => recordsByOwner.query({ type: 'contact', ownerId: ownerId! }, updateRangeOf(range)) } },
        {
          filters: ['lifecycleStage'],
          sorts: ['name'],
          indexed: { updatedAt: ({ lifecycleStage }, range) => recordsByFacet.query({ type: 'contact', facet: 'lifecycle', value: lifecycleStage! }, updateRangeOf(range)) },
        },
        { filters: ['ownerId', 'lifecycleStage'], sorts: ['updatedAt', 'name'] },
        { filters: ['tag'], sorts: ['updatedAt', 'name'] },
        // Unsorted, the company's own links list its contacts (in id order, at no cost per write).
        { filters: ['companyId'], sorts: ['name'], unsorted: ({ companyId }) => singlePartition(recordQueries.linkedRecords('company', companyId!, 'contact')) },
      ],
    },
  },
  {
    createSchema: () =>
      z
        .partial(z.strictObject({ ...contactShape(), lifecycleStage: z._default(contactShape().lifecycleStage, 'lead') }), {
          firstName: true,
          lastName: true,
          email: true,
          externalId: true,
          phone: true,
          title: true,
          ownerId: true,
          primaryCompanyId: true,
          companyIds: true,
          tags: true,
          properties: true,
        })
        .check(z.meta({ id: 'ContactCreate' })),
    updateSchema: () => patchSchemaOf(contactShape(), ['lifecycleStage'], 'ContactUpdate'),
    recordSchema: () =>
      serverRecordSchema('Contact', {
        ...Object.fromEntries(Object.entries(contactShape()).map(([name, schema]) => [name, z.optional(schema)])),
        lifecycleStage: z.enum(lifecycleStages),
        companyIds: z.array(z.string()),
      }),
    listQuerySchema: () =>
      listQuerySchemaOf(contactModel.lists, {
        ...searchQueryParameter,
        lifecycleStage: z.optional(z.enum(lifecycleStages)),
        tag: tagParameter,
        companyId: z.optional(recordId).check(z.meta({ description: 'Contacts associated with this company.' })),
        email: z.optional(z.string().check(z.trim(), z.maxLength(254))).check(z.meta({ description: 'Look a contact up by email (case-insensitive).' })),
        externalId: externalIdLookup('contact'),
      }),
  },
);
