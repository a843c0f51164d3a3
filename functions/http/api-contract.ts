import { z } from 'zod';
import { activityModel } from '../../domain/records/activity';
import { MAX_BATCH_INPUTS } from '../../domain/records/batch-write-records';
import { recordModels } from '../../domain/records/record-models';
import type { RecordModel } from '../../domain/records/record-model';
import { pageLimit } from '../../domain/records/schema-helpers';
import { createPipelineSchema, pipelineSchema, updatePipelineSchema } from '../../domain/pipelines/pipeline';
import {
  createPropertySchema,
  objectTypeParam,
  propertyDefinitionSchema,
  propertyName,
  updatePropertySchema,
} from '../../domain/properties/property-definition';
import { recordId } from '../../domain/shared/common-fields';
import { auditedTypes } from '../../domain/audit/audit-entries';
import { emailMessageSchema, sendEmailSchema } from '../../domain/email/email-message';
import { addSuppressionSchema, emailSuppressionSchema, suppressedAddress } from '../../domain/email/suppression';
import { createSequenceSchema, enrollmentSchema, enrollSchema, sequenceSchema, updateSequenceSchema } from '../../domain/sequences/sequence';
import type { ApiOperation } from './api-operation';

const idParams = z.object({ id: recordId });
const pageQuery = z.strictObject({ limit: pageLimit, cursor: z.string().min(1).max(4_096).optional() });
const pageOf = (item: z.ZodType, id: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }) }).meta({ id });

const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });
export const problemSchema = problem;

const timelineEntry = z
  .object({
    kind: z.enum(['created', 'updated', 'activity']),
    at: z.string(),
    actor: z.object({ type: z.string(), id: z.string().optional() }).optional(),
    changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })).optional(),
    activity: activityModel.recordSchema.optional(),
  })
  .meta({ id: 'TimelineEntry' });
const timelinePage = pageOf(timelineEntry, 'TimelinePage');

const titleCase = (word: string) => word[0]!.toUpperCase() + word.slice(1);

/** The seven operations every record type has. */
export function recordOperations(model: RecordModel): ApiOperation[] {
  const base = `/v1/${model.collection}`;
  const Name = titleCase(model.type);
  const Names = titleCase(model.collection);
  const batchResult = z
    .object({
      results: z.array(
        z.object({
          index: z.number().int().meta({ description: 'Position of the input.' }),
          status: z.number().int().meta({ description: '201 created, 200 updated (upsert), or the error status.' }),
          id: z.string().optional(),
          version: z.number().int().optional(),
          error: problem.optional(),
        }),
      ),
    })
    .meta({ id: `${Name}BatchResult` });
  return [
    { routeKey: `POST ${base}`, operationId: `create${Name}`, summary: `Create a ${model.type}`, tag: Names, body: model.createSchema, success: { status: 201, description: 'Created', schema: model.recordSchema }, idempotent: true },
    { routeKey: `GET ${base}`, operationId: `list${Names}`, summary: `List ${model.collection}, newest change first`, tag: Names, query: model.listQuerySchema, success: { status: 200, description: 'One page', schema: pageOf(model.recordSchema, `${Name}Page`) } },
    {
      routeKey: `POST ${base}/batch`,
      operationId: `batchCreate${Names}`,
      summary: model.uniqueField ? `Create or update up to ${MAX_BATCH_INPUTS} ${model.collection}, matched by ${model.uniqueField.field}` : `Create up to ${MAX_BATCH_INPUTS} ${model.collection}`,
      tag: Names,
      body: z.strictObject({ inputs: z.array(z.unknown()).min(1).max(MAX_BATCH_INPUTS) }).meta({ id: `${Name}BatchInput` }),
      success: { status: 200, description: 'Every input succeeded (207 when some failed; each result has its status)', schema: batchResult },
      idempotent: true,
    },
    { routeKey: `GET ${base}/{id}`, operationId: `get${Name}`, summary: `Get a ${model.type}`, tag: Names, pathParams: idParams, success: { status: 200, description: 'The record, with its ETag', schema: model.recordSchema } },
    { routeKey: `PATCH ${base}/{id}`, operationId: `update${Name}`, summary: `Change fields of a ${model.type}`, tag: Names, pathParams: idParams, body: model.updateSchema, success: { status: 200, description: 'Updated', schema: model.recordSchema }, conditional: true },
    { routeKey: `DELETE ${base}/{id}`, operationId: `delete${Name}`, summary: `Delete a ${model.type} and what hangs off it`, tag: Names, pathParams: idParams, success: { status: 204, description: 'Deleted' }, conditional: true },
    {
      routeKey: `GET ${base}/{id}/timeline`,
      operationId: `get${Name}Timeline`,
      summary: `History of a ${model.type}: changes and linked activities, newest first`,
      tag: Names,
      pathParams: idParams,
      query: pageQuery,
      success: { status: 200, description: 'One page', schema: timelinePage },
    },
  ];
}

const pipelineParams = z.object({ id: recordId });
export const pipelineOperations: ApiOperation[] = [
  { routeKey: 'POST /v1/pipelines', operationId: 'createPipeline', summary: 'Create a deal pipeline', tag: 'Pipelines', body: createPipelineSchema, success: { status: 201, description: 'Created', schema: pipelineSchema }, idempotent: true },
  { routeKey: 'GET /v1/pipelines', operationId: 'listPipelines', summary: 'List pipelines (the default one always exists)', tag: 'Pipelines', query: pageQuery, success: { status: 200, description: 'One page', schema: pageOf(pipelineSchema, 'PipelinePage') } },
  { routeKey: 'GET /v1/pipelines/{id}', operationId: 'getPipeline', summary: 'Get a pipeline', tag: 'Pipelines', pathParams: pipelineParams, success: { status: 200, description: 'The pipeline', schema: pipelineSchema } },
  { routeKey: 'PATCH /v1/pipelines/{id}', operationId: 'updatePipeline', summary: 'Rename, or add, rename, reorder and remove stages', tag: 'Pipelines', pathParams: pipelineParams, body: updatePipelineSchema, success: { status: 200, description: 'Updated', schema: pipelineSchema }, conditional: true },
  { routeKey: 'DELETE /v1/pipelines/{id}', operationId: 'deletePipeline', summary: 'Delete a pipeline without deals', tag: 'Pipelines', pathParams: pipelineParams, success: { status: 204, description: 'Deleted' }, conditional: true },
];

const typeParams = z.object({ objectType: objectTypeParam });
const propertyParams = z.object({ objectType: objectTypeParam, name: propertyName });
export const propertyOperations: ApiOperation[] = [
  { routeKey: 'POST /v1/properties/{objectType}', operationId: 'createProperty', summary: 'Define a custom property', tag: 'Properties', pathParams: typeParams, body: createPropertySchema, success: { status: 201, description: 'Created', schema: propertyDefinitionSchema }, idempotent: true },
  { routeKey: 'GET /v1/properties/{objectType}', operationId: 'listProperties', summary: 'List custom properties of a record type', tag: 'Properties', pathParams: typeParams, query: pageQuery, success: { status: 200, description: 'One page', schema: pageOf(propertyDefinitionSchema, 'PropertyPage') } },
  { routeKey: 'GET /v1/properties/{objectType}/{name}', operationId: 'getProperty', summary: 'Get a custom property', tag: 'Properties', pathParams: propertyParams, success: { status: 200, description: 'The definition', schema: propertyDefinitionSchema } },
  { routeKey: 'PATCH /v1/properties/{objectType}/{name}', operationId: 'updateProperty', summary: 'Change label, description or enum options', tag: 'Properties', pathParams: propertyParams, body: updatePropertySchema, success: { status: 200, description: 'Updated', schema: propertyDefinitionSchema }, conditional: true },
  { routeKey: 'DELETE /v1/properties/{objectType}/{name}', operationId: 'deleteProperty', summary: 'Delete a custom property definition', tag: 'Properties', pathParams: propertyParams, success: { status: 204, description: 'Deleted' }, conditional: true },
];

const auditEntry = z
  .object({
    recordType: z.enum(auditedTypes),
    recordId: z.string(),
    at: z.string(),
    event: z.enum(['created', 'updated', 'deleted']),
    actor: z.object({ type: z.enum(['user', 'client', 'system']), id: z.string(), role: z.string(), requestId: z.string().optional(), onBehalfOf: z.string().optional() }),
    changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
  })
  .meta({ id: 'AuditEntry' });
export const auditQuerySchema = z
  .strictObject({
    actorId: z.string().min(1).max(128).optional().meta({ description: 'Entries made by this user or client.' }),
    recordType: z.enum(auditedTypes).optional(),
    recordId: z.string().min(1).max(200).optional().meta({ description: 'With recordType: entries about this record (for a property: `<objectType>/<name>`).' }),
    limit: pageLimit,
    cursor: z.string().min(1).max(4_096).optional(),
  })
  .refine((query) => (query.actorId !== undefined) !== (query.recordType !== undefined && query.recordId !== undefined), {
    message: 'send either actorId, or recordType with recordId',
  });
export const auditOperations: ApiOperation[] = [
  {
    routeKey: 'GET /v1/audit',
    operationId: 'readAuditLog',
    summary: 'Audit log by actor or by record, newest first (admins)',
    tag: 'Audit',
    query: auditQuerySchema,
    success: { status: 200, description: 'One page', schema: pageOf(auditEntry, 'AuditPage') },
  },
];

const contactParams = z.object({ id: recordId });
const addressParams = z.object({ email: suppressedAddress });
export const emailOperations: ApiOperation[] = [
  {
    routeKey: 'POST /v1/contacts/{id}/emails',
    operationId: 'sendContactEmail',
    summary: 'Email a contact now (plain text); it lands on the contact timeline as an email activity',
    tag: 'Emails',
    pathParams: contactParams,
    body: sendEmailSchema,
    success: { status: 201, description: 'Sent to the mail service; the status follows delivery, bounce and complaint events', schema: emailMessageSchema },
    idempotent: true,
  },
  { routeKey: 'GET /v1/contacts/{id}/emails', operationId: 'listContactEmails', summary: "A contact's emails with their delivery status, newest first", tag: 'Emails', pathParams: contactParams, query: pageQuery, success: { status: 200, description: 'One page', schema: pageOf(emailMessageSchema, 'EmailMessagePage') } },
  { routeKey: 'GET /v1/emails/{id}', operationId: 'getEmail', summary: 'One sent email and its delivery status', tag: 'Emails', pathParams: idParams, success: { status: 200, description: 'The email', schema: emailMessageSchema } },
  {
    routeKey: 'POST /v1/email-suppressions',
    operationId: 'addEmailSuppression',
    summary: 'Stop emailing an address (unsubscribe); hard bounces and complaints are added automatically',
    tag: 'Emails',
    body: addSuppressionSchema,
    success: { status: 201, description: 'Suppressed (200 when it already was, with the first reason)', schema: emailSuppressionSchema },
  },
  { routeKey: 'GET /v1/email-suppressions', operationId: 'listEmailSuppressions', summary: 'Addresses the CRM does not email, newest first', tag: 'Emails', query: pageQuery, success: { status: 200, description: 'One page', schema: pageOf(emailSuppressionSchema, 'EmailSuppressionPage') } },
  { routeKey: 'GET /v1/email-suppressions/{email}', operationId: 'getEmailSuppression', summary: 'Whether, and why, an address is suppressed', tag: 'Emails', pathParams: addressParams, success: { status: 200, description: 'The suppression', schema: emailSuppressionSchema } },
  { routeKey: 'DELETE /v1/email-suppressions/{email}', operationId: 'removeEmailSuppression', summary: 'Allow emailing an address again (managers)', tag: 'Emails', pathParams: addressParams, success: { status: 204, description: 'Removed' } },
];

const sequenceParams = z.object({ id: recordId });
const enrollmentParams = z.object({ id: recordId, contactId: recordId });
export const sequenceOperations: ApiOperation[] = [
  { routeKey: 'POST /v1/sequences', operationId: 'createSequence', summary: 'Create a follow-up sequence: timed emails sent to each enrolled contact (managers)', tag: 'Sequences', body: createSequenceSchema, success: { status: 201, description: 'Created', schema: sequenceSchema }, idempotent: true },
  { routeKey: 'GET /v1/sequences', operationId: 'listSequences', summary: 'List sequences, newest first', tag: 'Sequences', query: pageQuery, success: { status: 200, description: 'One page', schema: pageOf(sequenceSchema, 'SequencePage') } },
  { routeKey: 'GET /v1/sequences/{id}', operationId: 'getSequence', summary: 'Get a sequence', tag: 'Sequences', pathParams: sequenceParams, success: { status: 200, description: 'The sequence, with its ETag', schema: sequenceSchema } },
  { routeKey: 'PATCH /v1/sequences/{id}', operationId: 'updateSequence', summary: 'Rename, change the steps, or archive (managers)', tag: 'Sequences', pathParams: sequenceParams, body: updateSequenceSchema, success: { status: 200, description: 'Updated', schema: sequenceSchema }, conditional: true },
  {
    routeKey: 'POST /v1/sequences/{id}/enrollments',
    operationId: 'enrollContact',
    summary: 'Enroll a contact: its run starts within seconds and sends each step after its delay',
    tag: 'Sequences',
    pathParams: sequenceParams,
    body: enrollSchema,
    success: { status: 201, description: 'Enrolled', schema: enrollmentSchema },
    idempotent: true,
  },
  { routeKey: 'GET /v1/sequences/{id}/enrollments', operationId: 'listEnrollments', summary: 'Enrollments of a sequence, by contact id', tag: 'Sequences', pathParams: sequenceParams, query: pageQuery, success: { status: 200, description: 'One page', schema: pageOf(enrollmentSchema, 'EnrollmentPage') } },
  { routeKey: 'GET /v1/sequences/{id}/enrollments/{contactId}', operationId: 'getEnrollment', summary: "A contact's enrollment: status, next step, why it stopped", tag: 'Sequences', pathParams: enrollmentParams, success: { status: 200, description: 'The enrollment', schema: enrollmentSchema } },
  { routeKey: 'DELETE /v1/sequences/{id}/enrollments/{contactId}', operationId: 'stopEnrollment', summary: 'Stop a running enrollment before its next step', tag: 'Sequences', pathParams: enrollmentParams, success: { status: 200, description: 'The enrollment, stopped (or as it was, if it had already ended)', schema: enrollmentSchema } },
];

// Not strict: link trackers and mail security gateways append their own parameters (utm_*, …).
const unsubscribeQuery = z.object({ token: z.string().min(3).max(256).meta({ description: 'From the link in the email.' }) });
export const unsubscribeOperations: ApiOperation[] = [
  {
    routeKey: 'GET /unsubscribe',
    operationId: 'confirmUnsubscribe',
    summary: 'The page an unsubscribe link opens: asks the recipient to confirm (a GET changes nothing)',
    tag: 'Emails',
    public: true,
    query: unsubscribeQuery,
    success: { status: 200, description: 'HTML page', contentType: 'text/html' },
  },
  {
    routeKey: 'POST /unsubscribe',
    operationId: 'unsubscribe',
    summary: "Put the link's recipient on the suppression list (the confirmation form, or RFC 8058 one-click from the mail client)",
    tag: 'Emails',
    public: true,
    query: unsubscribeQuery,
    success: { status: 200, description: 'HTML page', contentType: 'text/html' },
  },
];

export const metaOperations: ApiOperation[] = [
  { routeKey: 'GET /health', operationId: 'health', summary: 'Liveness check', tag: 'Meta', public: true, success: { status: 200, description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
  { routeKey: 'GET /openapi.json', operationId: 'openapi', summary: 'This API as OpenAPI 3.1', tag: 'Meta', public: true, success: { status: 200, description: 'The OpenAPI document' } },
  { routeKey: 'GET /docs', operationId: 'docs', summary: 'Readable API reference', tag: 'Meta', public: true, success: { status: 200, description: 'HTML page', contentType: 'text/html' } },
];

export const apiContract: readonly ApiOperation[] = [
  ...recordModels.flatMap(recordOperations),
  ...pipelineOperations,
  ...propertyOperations,
  ...emailOperations,
  ...unsubscribeOperations,
  ...sequenceOperations,
  ...auditOperations,
  ...metaOperations,
];
