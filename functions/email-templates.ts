import { createRuntime } from '../adapters/runtime';
import { createEmailTemplate, deleteEmailTemplate, getEmailTemplate, listEmailTemplates, previewEmailTemplate, updateEmailTemplate } from '../domain/email/email-templates';
import { apiHandler } from './http/api-handler';
import { emailTemplateOperations } from './http/contract/email-templates';
import { withIdempotentIds } from './http/idempotency';
import { apiServicesFor } from './http/api-services';
import { created, withEtag } from './http/responses';

const runtime = createRuntime();

export const handler = apiHandler(
  emailTemplateOperations,
  {
    createEmailTemplate: async (request) => {
      const template = await createEmailTemplate(withIdempotentIds(runtime, request, 'emailTemplate'), request.body, request.actor);
      return created(`/v1/email-templates/${template.id}`, template);
    },
    listEmailTemplates: async ({ query, actor }) => ({ status: 200, body: await listEmailTemplates(runtime, query, actor) }),
    getEmailTemplate: async ({ params, actor }) => withEtag(200, await getEmailTemplate(runtime, params.id, actor)),
    updateEmailTemplate: async ({ params, body, actor, ifMatch }) => withEtag(200, await updateEmailTemplate(runtime, params.id, body, actor, ifMatch)),
    deleteEmailTemplate: async ({ params, actor, ifMatch }) => {
      await deleteEmailTemplate(runtime, params.id, actor, ifMatch);
      return { status: 204 };
    },
    previewEmailTemplate: async ({ params, body, actor }) => ({ status: 200, body: await previewEmailTemplate(runtime, params.id, body.contactId, actor) }),
  },
  apiServicesFor(runtime),
);
