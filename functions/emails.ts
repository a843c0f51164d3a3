import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createEmailRuntime } from '../adapters/email-runtime';
import { metrics } from '../adapters/metrics';
import type { SendEmailInput } from '../domain/email/email-message';
import { getEmailMessage, listContactEmails } from '../domain/email/email-queries';
import { sendEmailToContact } from '../domain/email/send-email';
import { addSuppression, getSuppression, listSuppressions, removeSuppression } from '../domain/email/suppression-list';
import { emailOperations } from './http/api-contract';
import { createApiHandler } from './http/api-handler';
import { idempotencyFor, idOfIdempotentRequest } from './http/idempotency';

const runtime = createEmailRuntime();

export const handler = createApiHandler(
  emailOperations,
  {
    sendContactEmail: async ({ params, body, actor, idempotencyKey }) => {
      const messageId = idempotencyKey ? idOfIdempotentRequest(actor, idempotencyKey, 'email', params.id!) : undefined;
      const message = await sendEmailToContact(runtime, { contactId: params.id!, ...(body as SendEmailInput), source: { kind: 'api' }, ...(messageId ? { messageId } : {}) }, actor);
      metrics.addMetric('EmailsSent', MetricUnit.Count, 1);
      return { status: 201, body: message };
    },
    listContactEmails: async ({ params, query, actor }) => ({ status: 200, body: await listContactEmails(runtime, params.id!, query as { limit: number; cursor?: string }, actor) }),
    getEmail: async ({ params, actor }) => ({ status: 200, body: await getEmailMessage(runtime, params.id!, actor) }),
    addEmailSuppression: async ({ body, actor }) => {
      const { email, reason } = body as { email: string; reason: 'unsubscribe' | 'manual' };
      const { suppression, created } = await addSuppression(runtime, email, reason, actor);
      return { status: created ? 201 : 200, body: suppression };
    },
    listEmailSuppressions: async ({ query, actor }) => ({ status: 200, body: await listSuppressions(runtime, query as { limit: number; cursor?: string }, actor) }),
    getEmailSuppression: async ({ params, actor }) => ({ status: 200, body: await getSuppression(runtime, params.email!, actor) }),
    removeEmailSuppression: async ({ params, actor }) => {
      await removeSuppression(runtime, params.email!, actor);
      return { status: 204 };
    },
  },
  [idempotencyFor(runtime, emailOperations)],
);
