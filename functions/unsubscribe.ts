import { createRuntime } from '../adapters/runtime';
import { SignedUnsubscribeLinks } from '../adapters/unsubscribe/signed-unsubscribe-links';
import { unsubscribeByToken } from '../domain/email/unsubscribe';
import { unsubscribeOperations } from './http/api-contract';
import { createApiHandler } from './http/api-handler';
import { confirmUnsubscribePage, unsubscribedPage } from './http/unsubscribe-page';

const base = createRuntime();
// Only verifies tokens here, so the public URL the links point at does not matter.
const runtime = { ...base, unsubscribeLinks: new SignedUnsubscribeLinks(base.table, base.config.PUBLIC_API_URL ?? 'https://unused.invalid') };

export const handler = createApiHandler(unsubscribeOperations, {
  confirmUnsubscribe: async ({ query }) => confirmUnsubscribePage(query.token as string),
  unsubscribe: async ({ query }) => {
    await unsubscribeByToken(runtime, query.token as string);
    return unsubscribedPage();
  },
});
