/**
 * The two pages a recipient sees. The link opens a confirmation with a button, because
 * mail scanners fetch links in messages: a GET must not unsubscribe anyone (RFC 8058
 * says the same of one-click unsubscribe, which POSTs instead). No script, no styles
 * from elsewhere, so a strict Content-Security-Policy holds.
 */
import { escapeHtml } from './html';

const page = (title: string, body: string, status = 200) => ({
  status,
  rawBody: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2328}button{font:inherit;padding:.5rem 1rem}</style>
</head><body>${body}</body></html>`,
  headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'", 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
});

export const confirmUnsubscribePage = (token: string) =>
  page(
    'Unsubscribe',
    `<h1>Unsubscribe?</h1><p>You will no longer receive these emails.</p>
<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}"><button type="submit">Unsubscribe</button></form>`,
  );

export const unsubscribedPage = (changed: boolean) =>
  changed
    ? page('Unsubscribed', '<h1>You are unsubscribed</h1><p>You will receive no more of these emails.</p>')
    : page('Nothing to unsubscribe', '<h1>Nothing to unsubscribe</h1><p>This address is no longer in our records, so no more of these emails will come from them.</p>');

/** A person clicked a link that was cut short or altered: a page they can read, not a problem document. */
export const invalidLinkPage = () =>
  page('Link not valid', '<h1>This link is not valid</h1><p>It may have been cut short or altered. Use the unsubscribe link in the email itself.</p>', 400);
