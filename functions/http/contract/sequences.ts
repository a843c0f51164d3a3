import * as z from '../../../domain/shared/zod';
import { recordId } from '../../../domain/shared/common-fields';
import { createSequenceSchema, enrollmentSchema, enrollSchema, sequenceSchema, updateSequenceSchema } from '../../../domain/sequences/sequence';
import { operation } from '../api-operation';
import { exampleId, idParams, pageOf, pageQuery } from './common';

const enrollmentParams = z.object({ id: recordId, contactId: recordId });

export const sequenceOperations = {
  createSequence: operation({
    routeKey: 'POST /v1/sequences',
    operationId: 'createSequence',
    summary: 'Create a follow-up sequence: timed emails sent to each enrolled contact (managers)',
    tag: 'Sequences',
    body: createSequenceSchema,
    bodyExample: {
      name: 'Trial follow-up',
      steps: [
        { delayMinutes: 0, subject: 'Welcome, {{firstName | there}}', text: 'Hello {{firstName | there}},\n\nthanks for starting a trial.' },
        { delayMinutes: 4320, subject: 'How is it going?', text: 'Hello {{firstName | there}},\n\nany questions so far?' },
      ],
    },
    success: { status: 201, description: 'Created, with its ETag and Location', schema: sequenceSchema, location: true, etag: true },
    idempotent: true,
  }),
  listSequences: operation({
    routeKey: 'GET /v1/sequences',
    operationId: 'listSequences',
    summary: 'List sequences, newest first',
    tag: 'Sequences',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: pageOf(sequenceSchema, 'SequencePage') },
  }),
  getSequence: operation({
    routeKey: 'GET /v1/sequences/{id}',
    operationId: 'getSequence',
    summary: 'Get a sequence',
    tag: 'Sequences',
    pathParams: idParams,
    success: { status: 200, description: 'The sequence, with its ETag', schema: sequenceSchema, etag: true },
  }),
  updateSequence: operation({
    routeKey: 'PATCH /v1/sequences/{id}',
    operationId: 'updateSequence',
    summary: 'Rename, change the steps, or archive (managers)',
    tag: 'Sequences',
    pathParams: idParams,
    body: updateSequenceSchema,
    bodyExample: { status: 'archived' },
    success: { status: 200, description: 'Updated, with its new ETag', schema: sequenceSchema, etag: true },
    conditional: true,
  }),
  enrollContact: operation({
    routeKey: 'POST /v1/sequences/{id}/enrollments',
    operationId: 'enrollContact',
    summary: 'Enroll a contact: its run starts within seconds and sends each step after its delay',
    tag: 'Sequences',
    pathParams: idParams,
    body: enrollSchema,
    bodyExample: { contactId: exampleId(2) },
    success: { status: 201, description: 'Enrolled', schema: enrollmentSchema, location: true },
    idempotent: true,
  }),
  listEnrollments: operation({
    routeKey: 'GET /v1/sequences/{id}/enrollments',
    operationId: 'listEnrollments',
    summary: 'Enrollments of a sequence, by contact id',
    tag: 'Sequences',
    pathParams: idParams,
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: pageOf(enrollmentSchema, 'EnrollmentPage') },
  }),
  getEnrollment: operation({
    routeKey: 'GET /v1/sequences/{id}/enrollments/{contactId}',
    operationId: 'getEnrollment',
    summary: "A contact's enrollment: status, next step, why it stopped",
    tag: 'Sequences',
    pathParams: enrollmentParams,
    success: { status: 200, description: 'The enrollment', schema: enrollmentSchema },
  }),
  stopEnrollment: operation({
    routeKey: 'DELETE /v1/sequences/{id}/enrollments/{contactId}',
    operationId: 'stopEnrollment',
    summary: 'Stop a running enrollment before its next step',
    tag: 'Sequences',
    pathParams: enrollmentParams,
    success: { status: 200, description: 'The enrollment, stopped (or as it was, if it had already ended)', schema: enrollmentSchema },
  }),
};
