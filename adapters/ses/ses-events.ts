import * as z from '../../domain/shared/zod';
import type { EmailEvent } from '../../domain/email/record-email-event';
import { MESSAGE_ID_TAG } from './message-tag';

/**
 * The parts of an SES event (EventBridge destination) the CRM uses. The detail is the SES
 * event record: https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
 * Unknown fields are ignored, so new SES fields do not break the handler.
 */
const recipient = z.object({ emailAddress: z.string() });
const sesEventDetail = z.object({
  eventType: z.string(),
  mail: z.object({ messageId: z.string(), timestamp: z.string(), tags: z.optional(z.record(z.string(), z.array(z.string()))) }),
  bounce: z.optional(z.object({ bounceType: z.string(), bounceSubType: z.optional(z.string()), bouncedRecipients: z.array(recipient), timestamp: z.string() })),
  complaint: z.optional(z.object({ complainedRecipients: z.array(recipient), timestamp: z.string(), complaintFeedbackType: z.optional(z.string()) })),
  delivery: z.optional(z.object({ recipients: z.array(z.string()), timestamp: z.string() })),
  reject: z.optional(z.object({ reason: z.string() })),
});
const sesEvent = z.object({ 'detail-type': z.string(), detail: sesEventDetail });

/** The domain's view of an SES event, or undefined for a message without the CRM's tag. */
export function emailEventFromSes(event: unknown): EmailEvent | undefined {
  const { detail } = sesEvent.parse(event);
  const messageId = detail.mail.tags?.[MESSAGE_ID_TAG]?.[0];
  if (!messageId) return undefined;
  const common = { messageId, providerMessageId: detail.mail.messageId };
  switch (detail.eventType) {
    case 'Delivery':
      return { ...common, kind: 'delivered', recipients: detail.delivery?.recipients ?? [], permanent: false, at: detail.delivery?.timestamp ?? detail.mail.timestamp };
    case 'Bounce': {
      const bounce = detail.bounce!;
      return {
        ...common,
        kind: 'bounced',
        recipients: bounce.bouncedRecipients.map((r) => r.emailAddress),
        permanent: bounce.bounceType === 'Permanent',
        at: bounce.timestamp,
        detail: [bounce.bounceType, bounce.bounceSubType].filter(Boolean).join('/'),
      };
    }
    case 'Complaint': {
      const complaint = detail.complaint!;
      return {
        ...common,
        kind: 'complained',
        recipients: complaint.complainedRecipients.map((r) => r.emailAddress),
        permanent: true,
        at: complaint.timestamp,
        ...(complaint.complaintFeedbackType ? { detail: complaint.complaintFeedbackType } : {}),
      };
    }
    case 'Reject':
      return { ...common, kind: 'rejected', recipients: [], permanent: true, at: detail.mail.timestamp, ...(detail.reject ? { detail: detail.reject.reason } : {}) };
    default:
      return undefined;
  }
}
