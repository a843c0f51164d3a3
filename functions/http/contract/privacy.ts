import * as z from '../../../domain/shared/zod';
import { emailMessageSchema } from '../../../domain/email/email-message';
import { emailSuppressionSchema } from '../../../domain/email/suppression';
import { contactModel } from '../../../domain/records/contact';
import { enrollmentSchema } from '../../../domain/sequences/sequence';
import { operation } from '../api-operation';
import { auditEntry } from './audit';
import { idParams } from './common';
import { timelineEntry } from './records';

/** One open-ended part of the document: its items, or as many as fit, with the request that lists the rest. */
const partOf = (item: z.ZodMiniType, id: string, description: string) =>
  z
    .object({
      items: z.array(item),
      complete: z.boolean().check(z.meta({ description: 'Every item is here.' })),
      next: z.nullable(z.string()).check(z.meta({ description: 'When not complete: the API request listing the rest, from where this part stopped.' })),
    })
    .check(z.meta({ id, description }));

const personalData = () =>
  z
    .object({
      exportedAt: z.string(),
      contact: contactModel.recordSchema,
      history: partOf(timelineEntry(), 'PersonalDataHistory', 'Field changes (old and new values) and the activities linked to the contact, newest first.'),
      emails: partOf(emailMessageSchema, 'PersonalDataEmails', 'Emails sent to the contact, with their delivery status.'),
      enrollments: z.array(enrollmentSchema),
      suppression: z.nullable(emailSuppressionSchema).check(z.meta({ description: 'Whether, since when and why the CRM does not email their address.' })),
      audit: partOf(auditEntry, 'PersonalDataAudit', 'Who changed the contact, when, from which request.'),
      complete: z.boolean().check(z.meta({ description: 'Every part is complete; otherwise follow each part’s `next`.' })),
    })
    .check(z.meta({ id: 'PersonalData' }));

export const privacyOperations = {
  getPersonalData: operation({
    routeKey: 'GET /v1/contacts/{id}/personal-data',
    operationId: 'getContactPersonalData',
    summary: 'Everything the CRM holds about one person, in one document (a data subject access request); admins only',
    tag: 'Privacy',
    pathParams: idParams,
    success: { status: 200, description: 'The document', schema: personalData },
  }),
};
