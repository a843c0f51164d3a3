import { createRuntime } from '../adapters/runtime';
import { SignedUnsubscribeLinks } from '../adapters/unsubscribe/signed-unsubscribe-links';
import { unsubscribeByToken } from '../domain/email/unsubscribe';
import { ValidationError } from '../domain/shared/errors';
import { apiHandler } from './http/api-handler';
import { unsubscribeOperations } from './http/contract/unsubscribe';
import { confirmUnsubscribePage, invalidLinkPage, unsubscribedPage } from './http/unsubscribe-page';

const base = createRuntime();
// Only checks tokens here: it makes no links, so it needs no public URL.
const unsubscribeLinks = new SignedUnsubscribeLinks(base.table);
const runtime = { ...base, unsubscribeLinks };

/** People, not programs, read these answers: an invalid link gets a page, not problem+json. */
export const handler = apiHandler(unsubscribeOperations, {
  confirmUnsubscribe: async ({ query }) => ((await unsubscribeLinks.messageIdOf(query.token)) ? confirmUnsubscribePage(query.token) : invalidLinkPage()),
  unsubscribe: async ({ query }) => {
    try {
      const { unsubscribed } = await unsubscribeByToken(runtime, query.token);
      return unsubscribedPage(unsubscribed);
    } catch (error) {
      if (error instanceof ValidationError) return invalidLinkPage();
      throw error;
    }
  },
});
