import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookSigning } from '../../domain/webhooks/webhook-ports';

/**
 * Signs with the Standard Webhooks reference library (the one receivers verify with), so
 * what the CRM sends and what `standardwebhooks` checks cannot drift apart: HMAC-SHA256 of
 * `<id>.<timestamp>.<body>` with the base64 key after `whsec_`, as `v1,<base64>`.
 */
export const standardWebhooksSigning: WebhookSigning = {
  // 32 random bytes: the key size the specification recommends (24 to 64).
  newSecret: () => `whsec_${randomBytes(32).toString('base64')}`,
  signature: (secrets, messageId, at, body) => secrets.map((secret) => new Webhook(secret).sign(messageId, at, body)).join(' '),
};
