import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createEmailRuntime } from '../adapters/email-runtime';
import { metrics } from '../adapters/metrics';
import { getEmailMessage, listContactEmails } from '../domain/email/email-queries';
import { emailContentOf } from '../domain/email/email-templates';
import { sendEmailToContact } from '../domain/email/send-email';
import { addSuppression, getSuppression, listSuppressions, removeSuppression } from '../domain/email/suppression-list';
import { apiHandler } from './http/api-handler';
import { emailOperations } from './http/contract/emails';
import { idOfIdempotentRequest } from './http/idempotency';
import { apiServicesFor } from './http/api-services';
import { created } from './http/responses';

const runtime = createEmailRuntime();

export const handler = apiHandler(
  emailOperations,
  {
    sendContactEmail: async (request) => {
      const { params, body, actor, idempotencyKey } = request;
      const messageId = idempotencyKey ? idOfIdempotentRequest({ ...request, idempotencyKey }, 'email', params.id) : undefined;
      const content = await emailContentOf(runtime, body);
      const message = await sendEmailToContact(runtime, { contactId: params.id, ...content, source: { kind: 'api' }, ...(messageId ? { messageId } : {}) }, actor);
      metrics.addMetric('EmailsSent', MetricUnit.Count, 1);
      return created(`/v1/emails/${message.id}`, message);
    },
    listContactEmails: async ({ params, query, actor }) => ({ status: 200, body: await listContactEmails(runtime, params.id, query, actor) }),
    getEmail: async ({ params, actor }) => ({ status: 200, body: await getEmailMessage(runtime, params.id, actor) }),
    addEmailSuppression: async ({ body, actor }) => {
      const { suppression, created: isNew } = await addSuppression(runtime, body.email, body.reason, actor);
      const location = `/v1/email-suppressions/${encodeURIComponent(suppression.email)}`;
      return isNew ? created(location, suppression) : { status: 200, body: suppression, headers: { location } };
    },
    listEmailSuppressions: async ({ query, actor }) => ({ status: 200, body: await listSuppressions(runtime, query, actor) }),
    getEmailSuppression: async ({ params, actor }) => ({ status: 200, body: await getSuppression(runtime, params.email, actor) }),
    removeEmailSuppression: async ({ params, actor }) => {
      await removeSuppression(runtime, params.email, actor);
      return { status: 204 };
    },
  },
  apiServicesFor(runtime),
);
