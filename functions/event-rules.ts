/**
 * Lambdas that EventBridge rules invoke. The CDK stack declares each rule with this
 * pattern, and the local event bus routes with the very same pattern, so what runs
 * locally is what deploys.
 */
export interface EventRule {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /**
   * Which bus the rule listens on. SES publishes its sending events only to the account's
   * `default` bus (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-add-event-destination-eventbridge.html).
   */
  readonly bus: 'default';
  readonly eventPattern: Record<string, unknown>;
  /**
   * `emailConfigurationSet`: only the SES events of mail this deployment sent (its
   * configuration set), so stages sharing an account do not see each other's mail. Such a
   * rule exists only where email is configured. See deployedEventPattern.
   */
  readonly scope?: 'emailConfigurationSet';
  readonly tableAccess: 'read' | 'readWrite';
  /** Retries of a failing event before it goes to the rule's dead-letter queue. */
  readonly maxRetries: number;
}

export const eventRules = {
  /** SES delivery, bounce and complaint events of the CRM's configuration set: message status and the suppression list. */
  emailEvents: {
    entry: 'functions/email-events.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    bus: 'default',
    eventPattern: {
      source: ['aws.ses'],
      'detail-type': ['Email Delivered', 'Email Bounced', 'Email Complaint Received', 'Email Rejected'],
    },
    scope: 'emailConfigurationSet',
    tableAccess: 'readWrite',
    maxRetries: 8,
  },
} as const satisfies Record<string, EventRule>;

export type EventRuleName = keyof typeof eventRules;

/**
 * The pattern a rule is deployed with, and the local event bus matches with: the
 * definition's, narrowed to the deployment's configuration set for an `emailConfigurationSet`
 * rule (SES tags every event with it: `detail.mail.tags["ses:configuration-set"]`).
 */
export function deployedEventPattern(rule: Pick<EventRule, 'eventPattern' | 'scope'>, deployment: { readonly configurationSetName: string }): Record<string, unknown> {
  if (rule.scope !== 'emailConfigurationSet') return rule.eventPattern;
  return { ...rule.eventPattern, detail: { mail: { tags: { 'ses:configuration-set': [deployment.configurationSetName] } } } };
}
