import * as z from '../../../domain/shared/zod';
import { recordId } from '../../../domain/shared/common-fields';
import { emailMessageSchema, sendEmailSchema } from '../../../domain/email/email-message';
import { addSuppressionSchema, emailSuppressionSchema, suppressedAddress } from '../../../domain/email/suppression';
import { operation } from '../api-operation';
import { idParams, pageOf, pageQuery } from './common';

const contactParams = z.object({ id: recordId });
const addressParams = z.object({ email: suppressedAddress });

export const emailOperations = {
  sendContactEmail: operation({
    routeKey: 'POST /v1/contacts/{id}/emails',
    operationId: 'sendContactEmail',
    summary: 'Email a contact now (plain text); it lands on the contact timeline as an email activity',
    tag: 'Emails',
    pathParams: contactParams,
    body: sendEmailSchema,
    bodyExample: { subject: 'Our call on Tuesday', text: 'Hello Ada,\n\nthank you for your time today. The proposal follows this week.\n\nGrace' },
    success: { status: 201, description: 'Sent to the mail service; the status follows delivery, bounce and complaint events', schema: emailMessageSchema, location: true },
    idempotent: true,
  }),
  listContactEmails: operation({
    routeKey: 'GET /v1/contacts/{id}/emails',
    operationId: 'listContactEmails',
    summary: "A contact's emails with their delivery status, newest first",
    tag: 'Emails',
    pathParams: contactParams,
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: pageOf(emailMessageSchema, 'EmailMessagePage') },
  }),
  getEmail: operation({
    routeKey: 'GET /v1/emails/{id}',
    operationId: 'getEmail',
    summary: 'One sent email and its delivery status',
    tag: 'Emails',
    pathParams: idParams,
    success: { status: 200, description: 'The email', schema: emailMessageSchema },
  }),
  addEmailSuppression: operation({
    routeKey: 'POST /v1/email-suppressions',
    operationId: 'addEmailSuppression',
    summary: 'Stop emailing an address (unsubscribe); hard bounces and complaints are added automatically',
    tag: 'Emails',
    body: addSuppressionSchema,
    bodyExample: { email: 'ada@example.com', reason: 'unsubscribe' },
    success: { status: 201, description: 'Suppressed', schema: emailSuppressionSchema, location: true },
    otherResponses: [{ status: 200, description: 'It already was suppressed; the first reason stays', schema: emailSuppressionSchema }],
  }),
  listEmailSuppressions: operation({
    routeKey: 'GET /v1/email-suppressions',
    operationId: 'listEmailSuppressions',
    summary: 'Addresses the CRM does not email, newest first',
    tag: 'Emails',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: pageOf(emailSuppressionSchema, 'EmailSuppressionPage') },
  }),
  getEmailSuppression: operation({
    routeKey: 'GET /v1/email-suppressions/{email}',
    operationId: 'getEmailSuppression',
    summary: 'Whether, and why, an address is suppressed',
    tag: 'Emails',
    pathParams: addressParams,
    success: { status: 200, description: 'The suppression', schema: emailSuppressionSchema },
  }),
  removeEmailSuppression: operation({
    routeKey: 'DELETE /v1/email-suppressions/{email}',
    operationId: 'removeEmailSuppression',
    summary: 'Allow emailing an address again (managers)',
    tag: 'Emails',
    pathParams: addressParams,
    success: { status: 204, description: 'Removed' },
  }),
};
