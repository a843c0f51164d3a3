import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { EmailNotSendableError, ServiceUnavailableError } from '../../domain/shared/errors';
import type { EmailSender, OutgoingEmail } from '../../domain/email/email-sender';
import { escapeHtml } from '../../domain/email/email-template';
import type { Config } from '../config';
import { MESSAGE_ID_TAG } from './message-tag';


/** SES refused this message for good (an unverified recipient in the sandbox, a virus): retrying sends nothing either. */
const rejectedErrors = new Set(['MessageRejected', 'BadRequestException']);
/**
 * SES took no message at all for now: throttled, sending paused, the account not ready, or
 * the deployment's own setup broken (configuration set or MAIL FROM domain): every send
 * fails alike until an operator acts, so runs wait and retry rather than stop for good.
 */
const unavailableErrors = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'SendingPausedException',
  'AccountSuspendedException',
  'NotFoundException',
  'MailFromDomainNotVerifiedException',
]);

export class SesEmailSender implements EmailSender {
  private readonly client: SESv2Client;

  constructor(private readonly config: Pick<Config, 'AWS_REGION' | 'SES_ENDPOINT' | 'EMAIL_FROM_ADDRESS' | 'EMAIL_FROM_NAME' | 'SES_CONFIGURATION_SET_NAME'>) {
    this.client = new SESv2Client({
      region: config.AWS_REGION,
      // No SDK retries: a send that timed out after SES took it would go out twice. The
      // callers retry instead (Step Functions, the API client), and a retry with the same
      // message id finds the claim (domain/email/send-email.ts).
      maxAttempts: 1,
      ...(config.SES_ENDPOINT ? { endpoint: config.SES_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
  }

  async send(email: OutgoingEmail): Promise<{ providerMessageId: string }> {
    const from = this.config.EMAIL_FROM_ADDRESS;
    if (!from) throw new ServiceUnavailableError('Email is not set up in this deployment: configure email.fromAddress (docs/deploy.md).');
    const sender = this.config.EMAIL_FROM_NAME ? `"${this.config.EMAIL_FROM_NAME.replace(/["\\]/g, '')}" <${from}>` : from;
    try {
      const result = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: sender,
          Destination: { ToAddresses: [email.to] },
          ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: {
                Text: { Data: email.unsubscribeUrl ? `${email.text}\n\n--\nTo stop receiving these emails: ${email.unsubscribeUrl}` : email.text, Charset: 'UTF-8' },
                ...(email.html !== undefined ? { Html: { Data: withUnsubscribeFooter(email.html, email.unsubscribeUrl), Charset: 'UTF-8' } } : {}),
              },
              ...(email.unsubscribeUrl
                ? {
                    Headers: [
                      { Name: 'List-Unsubscribe', Value: `<${email.unsubscribeUrl}>` },
                      { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
                    ],
                  }
                : {}),
            },
          },
          EmailTags: [{ Name: MESSAGE_ID_TAG, Value: email.messageId }],
          ...(this.config.SES_CONFIGURATION_SET_NAME ? { ConfigurationSetName: this.config.SES_CONFIGURATION_SET_NAME } : {}),
        }),
      );
      if (!result.MessageId) throw new Error('SES accepted the email without returning a MessageId');
      return { providerMessageId: result.MessageId };
    } catch (error) {
      const name = (error as Error).name;
      // SES's own message can quote addresses and account settings: callers get the error's name only.
      if (rejectedErrors.has(name)) throw new EmailNotSendableError(`SES rejected the email (${name}).`, 'rejected');
      if (unavailableErrors.has(name)) throw new ServiceUnavailableError(`The mail service is not accepting email right now (${name}); retry later.`, { cause: error });
      throw error;
    }
  }
}

/** The unsubscribe link under an HTML body too, where a reader of the HTML part looks for it. */
function withUnsubscribeFooter(html: string, unsubscribeUrl: string | undefined): string {
  if (!unsubscribeUrl) return html;
  return `${html}\n<p style="font-size:small">To stop receiving these emails: <a href="${escapeHtml(unsubscribeUrl)}">unsubscribe</a></p>`;
}
