import * as z from '../../../domain/shared/zod';
import { operation } from '../api-operation';

// Not strict: link trackers and mail security gateways append their own parameters (utm_*, …).
const unsubscribeQuery = z.object({ token: z.string().check(z.minLength(3), z.maxLength(256), z.meta({ description: 'From the link in the email.' })) });
const htmlPage = z.string().check(z.meta({ description: 'An HTML page for the recipient.' }));
const invalidLinkPage = { status: 400, description: 'A page saying the link is not valid (cut short or altered)', schema: htmlPage, contentType: 'text/html' };

export const unsubscribeOperations = {
  confirmUnsubscribe: operation({
    routeKey: 'GET /unsubscribe',
    operationId: 'confirmUnsubscribe',
    summary: 'The page an unsubscribe link opens: asks the recipient to confirm (a GET changes nothing)',
    tag: 'Emails',
    public: true,
    query: unsubscribeQuery,
    success: { status: 200, description: 'The confirmation page', schema: htmlPage, contentType: 'text/html' },
    otherResponses: [invalidLinkPage],
  }),
  unsubscribe: operation({
    routeKey: 'POST /unsubscribe',
    operationId: 'unsubscribe',
    summary: "Put the link's recipient on the suppression list (the confirmation form, or RFC 8058 one-click from the mail client)",
    tag: 'Emails',
    public: true,
    query: unsubscribeQuery,
    success: { status: 200, description: 'A page saying the address is unsubscribed', schema: htmlPage, contentType: 'text/html' },
    otherResponses: [invalidLinkPage],
  }),
};
