import type { EmailDependencies } from '../domain/email/send-email';
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
  const { PUBLIC_API_URL } = base.config;
  return { ...base, emailSender: new SesEmailSender(base.config), ...(PUBLIC_API_URL ? { unsubscribeLinks: new SignedUnsubscribeLinks(base.table, PUBLIC_API_URL) } : {}) };
}
