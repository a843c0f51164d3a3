import { createRuntime } from '../adapters/runtime';
import { getInboundAddress, rotateInboundAddress } from '../domain/inbound/inbound-addresses';
import { dismissUnmatchedInboundEmail, listUnmatchedInboundEmails } from '../domain/inbound/unmatched-inbound';
import { apiHandler } from './http/api-handler';
import { apiServicesFor } from './http/api-services';
import { inboundEmailOperations } from './http/contract/inbound-emails';

const runtime = createRuntime();
const domain = runtime.config.INBOUND_EMAIL_DOMAIN;

export const handler = apiHandler(
  inboundEmailOperations,
  {
    getInboundAddress: async ({ actor }) => ({ status: 200, body: await getInboundAddress(runtime, domain, actor) }),
    rotateInboundAddress: async ({ actor }) => ({ status: 200, body: await rotateInboundAddress(runtime, domain, actor) }),
    listUnmatchedInboundEmails: async ({ query, actor }) => ({ status: 200, body: await listUnmatchedInboundEmails(runtime, query, actor) }),
    dismissUnmatchedInboundEmail: async ({ params, actor }) => {
      await dismissUnmatchedInboundEmail(runtime, params.id, actor);
      return { status: 204 };
    },
  },
  apiServicesFor(runtime),
);
