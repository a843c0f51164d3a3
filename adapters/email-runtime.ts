import type { EmailDependencies } from '../domain/email/send-email';
import { replyAddressFor } from '../domain/inbound/reply-address';
import { createRuntime, type CrmRuntime } from './runtime';
import { SesEmailSender } from './ses/ses-email-sender';
import { SignedUnsubscribeLinks } from './unsubscribe/signed-unsubscribe-links';

/**
 * The runtime of functions that send email. Kept apart from createRuntime so the SES
 * client is bundled only into the functions that use it (every other bundle stays
 * smaller and starts faster).
 */
export type EmailRuntime = CrmRuntime & EmailDependencies;

export function createEmailRuntime(base: CrmRuntime = createRuntime()): EmailRuntime {
  const { PUBLIC_API_URL, INBOUND_EMAIL_DOMAIN } = base.config;
  return {
    ...base,
    emailSender: new SesEmailSender(base.config),
    ...(PUBLIC_API_URL ? { unsubscribeLinks: new SignedUnsubscribeLinks(base.table, PUBLIC_API_URL) } : {}),
    ...(INBOUND_EMAIL_DOMAIN ? { replyAddressFor: (emailId: string) => replyAddressFor(emailId, INBOUND_EMAIL_DOMAIN) } : {}),
  };
}
