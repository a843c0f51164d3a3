/**
 * The port to the mail service. The adapter maps the service's refusals onto the domain's
 * errors: EmailNotSendableError('rejected') when the service refused this message for good,
 * ServiceUnavailableError when it refused to take any message right now (throttled, paused,
 * not configured). In both cases nothing was sent. Anything else leaves it unknown whether
 * the message went out.
 */
export interface OutgoingEmail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** An HTML alternative to the text (a saved template's), already rendered and escaped. */
  readonly html?: string;
  /** Where replies go (the inbound domain's `reply+<id>` address), so the CRM sees them. */
  readonly replyTo?: string;
  /** The CRM's id of the message; tagged onto it so the service's events find it again. */
  readonly messageId: string;
  /**
   * For automated mail (sequences): where the recipient unsubscribes. Sent as the
   * List-Unsubscribe header with one-click unsubscribe (RFC 8058), which mailbox providers
   * require of bulk senders, and as a line under the text.
   */
  readonly unsubscribeUrl?: string;
}

export interface EmailSender {
  send(email: OutgoingEmail): Promise<{ readonly providerMessageId: string }>;
}
