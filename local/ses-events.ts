import { randomBytes, randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './http-api-event';
import type { StoredEmail } from './ses-local';

/**
 * The EventBridge events SES publishes for one sent email through a configuration set
 * with an EventBridge destination, field by field as documented (samples in
 * test/support/events/). Recipients behave like SES's mailbox simulator addresses, so a
 * bounce or a complaint can be produced locally by sending to them; every other address
 * is delivered.
 */

export type SesDetailType = 'Email Delivered' | 'Email Bounced' | 'Email Complaint Received';

export interface SesMail {
  timestamp: string;
  source: string;
  sourceArn: string;
  sendingAccountId: string;
  messageId: string;
  /** Every envelope recipient (To, Cc and Bcc), as bare addresses. */
  destination: string[];
  headersTruncated: boolean;
  headers: { name: string; value: string }[];
  commonHeaders: { from: string[]; to: string[]; messageId: string; subject: string };
  /** SES's own `ses:*` tags and the sender's EmailTags, each value in a one-element array. */
  tags: Record<string, string[]>;
}

export interface SesEventDetail {
  eventType: 'Delivery' | 'Bounce' | 'Complaint';
  mail: SesMail;
  delivery?: { timestamp: string; processingTimeMillis: number; recipients: string[]; smtpResponse: string; reportingMTA: string };
  bounce?: {
    bounceType: 'Permanent' | 'Transient' | 'Undetermined';
    bounceSubType: string;
    bouncedRecipients: { emailAddress: string; action: string; status: string; diagnosticCode: string }[];
    timestamp: string;
    feedbackId: string;
    reportingMTA: string;
  };
  complaint?: {
    complainedRecipients: { emailAddress: string }[];
    timestamp: string;
    feedbackId: string;
    userAgent: string;
    complaintFeedbackType: string;
    arrivalDate: string;
  };
}

export type SesEvent = EventBridgeEvent<SesDetailType, SesEventDetail>;

type Outcome = 'delivered' | 'bounced' | 'complained' | 'suppressed';

/** https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html#send-email-simulator */
const SIMULATOR_OUTCOMES: Readonly<Record<string, Outcome>> = {
  'success@simulator.amazonses.com': 'delivered',
  'bounce@simulator.amazonses.com': 'bounced',
  'complaint@simulator.amazonses.com': 'complained',
  'suppressionlist@simulator.amazonses.com': 'suppressed',
};

const SUPPRESSED_DIAGNOSTIC =
  'Amazon SES did not send the message to this address because it is on the suppression list for your account. For more information about removing addresses from the suppression list, see the Amazon SES Developer Guide at https://docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html';

export interface SesEventContext {
  configurationSetName: string;
  region: string;
  /** When the events happen; every event of the email gets this time. */
  now: Date;
}

/** Every event of one email, recipient by recipient, in the order SES sends them. */
export function sesEventsFor(email: StoredEmail, context: SesEventContext): SesEvent[] {
  const mail = toMail(email, context);
  return mail.destination.flatMap((recipient) => {
    switch (outcomeFor(recipient)) {
      case 'bounced':
        return [event('Email Bounced', { eventType: 'Bounce', mail, bounce: bounce(recipient, 'General', 'smtp; 550 5.1.1 user unknown', context.now) }, context)];
      case 'suppressed':
        return [event('Email Bounced', { eventType: 'Bounce', mail, bounce: bounce(recipient, 'OnAccountSuppressionList', SUPPRESSED_DIAGNOSTIC, context.now) }, context)];
      case 'complained':
        // A complaint comes from the recipient's mail provider, after the mail was delivered to it.
        return [
          event('Email Delivered', { eventType: 'Delivery', mail, delivery: delivery(recipient, email, context.now) }, context),
          event('Email Complaint Received', { eventType: 'Complaint', mail, complaint: complaint(recipient, context.now) }, context),
        ];
      case 'delivered':
        return [event('Email Delivered', { eventType: 'Delivery', mail, delivery: delivery(recipient, email, context.now) }, context)];
    }
  });
}

/** Simulator addresses may carry a label (`bounce+run-1@simulator.amazonses.com`) and behave the same. */
function outcomeFor(recipient: string): Outcome {
  const [local = '', domain = ''] = recipient.toLowerCase().split('@');
  return SIMULATOR_OUTCOMES[`${local.split('+')[0]}@${domain}`] ?? 'delivered';
}

function event(detailType: SesDetailType, detail: SesEventDetail, { configurationSetName, region, now }: SesEventContext): SesEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.ses',
    account: LOCAL_ACCOUNT_ID,
    // EventBridge's `time` has whole seconds.
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:ses:${region}:${LOCAL_ACCOUNT_ID}:configuration-set/${configurationSetName}`],
    detail,
  };
}

function toMail(email: StoredEmail, { configurationSetName, region }: SesEventContext): SesMail {
  const sender = bareAddress(email.from);
  const { to, cc, bcc } = email.destination;
  const headers = [
    { name: 'From', value: email.from },
    { name: 'To', value: to.join(', ') },
    ...(cc.length > 0 ? [{ name: 'Cc', value: cc.join(', ') }] : []),
    { name: 'Subject', value: email.subject },
    { name: 'MIME-Version', value: '1.0' },
    { name: 'Content-Type', value: email.body.html && email.body.text ? 'multipart/alternative' : email.body.html ? 'text/html; charset=UTF-8' : 'text/plain; charset=UTF-8' },
    ...(email.headers ?? []),
  ];
  const senderTags: Record<string, string[]> = Object.fromEntries((email.emailTags ?? []).map((tag) => [tag.Name, [tag.Value]]));
  return {
    timestamp: new Date(email.at * 1000).toISOString(),
    source: email.from,
    sourceArn: `arn:aws:ses:${region}:${LOCAL_ACCOUNT_ID}:identity/${sender}`,
    sendingAccountId: LOCAL_ACCOUNT_ID,
    messageId: email.messageId,
    destination: [...to, ...cc, ...bcc].map(bareAddress),
    headersTruncated: false,
    headers,
    commonHeaders: { from: [email.from], to, messageId: email.messageId, subject: email.subject },
    tags: {
      'ses:configuration-set': [configurationSetName],
      'ses:source-ip': ['127.0.0.1'],
      'ses:from-domain': [sender.split('@')[1] ?? sender],
      'ses:caller-identity': ['local'],
      ...senderTags,
    },
  };
}

function delivery(recipient: string, email: StoredEmail, now: Date): NonNullable<SesEventDetail['delivery']> {
  return {
    timestamp: now.toISOString(),
    processingTimeMillis: Math.max(0, now.getTime() - email.at * 1000),
    recipients: [recipient],
    smtpResponse: '250 2.6.0 Message received',
    reportingMTA: 'a8-1.smtp-out.local.amazonses.com',
  };
}

function bounce(recipient: string, bounceSubType: string, diagnosticCode: string, now: Date): NonNullable<SesEventDetail['bounce']> {
  return {
    bounceType: 'Permanent',
    bounceSubType,
    bouncedRecipients: [{ emailAddress: recipient, action: 'failed', status: '5.1.1', diagnosticCode }],
    timestamp: now.toISOString(),
    feedbackId: feedbackId(),
    reportingMTA: 'dsn; a8-1.smtp-out.local.amazonses.com',
  };
}

function complaint(recipient: string, now: Date): NonNullable<SesEventDetail['complaint']> {
  return {
    complainedRecipients: [{ emailAddress: recipient }],
    timestamp: now.toISOString(),
    feedbackId: feedbackId(),
    userAgent: 'Amazon SES Mailbox Simulator',
    complaintFeedbackType: 'abuse',
    arrivalDate: now.toISOString(),
  };
}

/** The shape of SES's feedback ids: `0100…-<uuid>-000000`. */
function feedbackId(): string {
  return `0100${randomBytes(6).toString('hex')}-${randomUUID()}-000000`;
}

/** `Ada <ada@example.com>` → `ada@example.com`; a bare address stays as it is. */
function bareAddress(address: string): string {
  return (/<([^>]+)>\s*$/.exec(address)?.[1] ?? address).trim();
}
