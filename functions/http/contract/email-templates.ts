import { emailTemplateSchemas } from '../../../domain/email/email-templates';
import { operation } from '../api-operation';
import { exampleId, idParams, pageOf, pageQuery } from './common';

const schemas = () => emailTemplateSchemas();

export const emailTemplateOperations = {
  createEmailTemplate: operation({
    routeKey: 'POST /v1/email-templates',
    operationId: 'createEmailTemplate',
    summary: 'Save an email template: subject, text and optional HTML with placeholders (managers)',
    tag: 'Email templates',
    body: () => schemas().create,
    bodyExample: {
      name: 'Meeting follow-up',
      subject: 'Our call, {{firstName | there}}',
      text: 'Hello {{firstName | there}},\n\nthank you for your time. Here is what we agreed for {{company.name | your team}}.',
      html: '<p>Hello {{firstName | there}},</p><p>thank you for your time.</p>',
    },
    success: { status: 201, description: 'Created, with its ETag and Location', schema: () => schemas().template, location: true, etag: true },
    idempotent: true,
  }),
  listEmailTemplates: operation({
    routeKey: 'GET /v1/email-templates',
    operationId: 'listEmailTemplates',
    summary: 'List email templates, newest first',
    tag: 'Email templates',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: () => pageOf(schemas().template, 'EmailTemplatePage') },
  }),
  getEmailTemplate: operation({
    routeKey: 'GET /v1/email-templates/{id}',
    operationId: 'getEmailTemplate',
    summary: 'Get an email template',
    tag: 'Email templates',
    pathParams: idParams,
    success: { status: 200, description: 'The template, with its ETag', schema: () => schemas().template, etag: true },
  }),
  updateEmailTemplate: operation({
    routeKey: 'PATCH /v1/email-templates/{id}',
    operationId: 'updateEmailTemplate',
    summary: 'Change an email template (managers); emails already sent keep their words',
    tag: 'Email templates',
    pathParams: idParams,
    body: () => schemas().update,
    bodyExample: { subject: 'Following up, {{firstName | there}}' },
    success: { status: 200, description: 'Updated, with its new ETag', schema: () => schemas().template, etag: true },
    conditional: true,
  }),
  deleteEmailTemplate: operation({
    routeKey: 'DELETE /v1/email-templates/{id}',
    operationId: 'deleteEmailTemplate',
    summary: 'Delete an email template (managers)',
    tag: 'Email templates',
    pathParams: idParams,
    success: { status: 204, description: 'Deleted' },
    conditional: true,
  }),
  previewEmailTemplate: operation({
    routeKey: 'POST /v1/email-templates/{id}/preview',
    operationId: 'previewEmailTemplate',
    summary: 'Render a template for a contact, as it would be sent to them now (nothing is sent)',
    tag: 'Email templates',
    pathParams: idParams,
    body: () => schemas().previewRequest,
    bodyExample: { contactId: exampleId(2) },
    success: { status: 200, description: 'Subject, text and HTML with the contact filled in', schema: () => schemas().preview },
  }),
};
