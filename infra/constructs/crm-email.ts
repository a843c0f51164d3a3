import { Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import {
  ConfigurationSet,
  ConfigurationSetTlsPolicy,
  DkimIdentity,
  EasyDkimSigningKeyLength,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  SuppressionReasons,
  type DkimRecord,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { sendingIdentityOf, type EmailConfig } from '../stack-config';

/**
 * What the configuration set publishes to EventBridge. Opens and clicks are left out: the
 * CRM does not track them, and they would put the recipient's IP address and user agent
 * on the bus.
 */
export const publishedEmailEvents = [
  EmailSendingEvent.SEND,
  EmailSendingEvent.DELIVERY,
  EmailSendingEvent.BOUNCE,
  EmailSendingEvent.COMPLAINT,
  EmailSendingEvent.REJECT,
  EmailSendingEvent.RENDERING_FAILURE,
  EmailSendingEvent.DELIVERY_DELAY,
] as const;

export interface CrmEmailProps {
  readonly config: EmailConfig;
}

/**
 * Sending email through SES: the configuration set every CRM email goes out with (its
 * events go to the account's default event bus, its reputation metrics to CloudWatch), the
 * sender identity when the stack owns it, and the one grant that lets a function send.
 */
export class CrmEmail extends Construct {
  readonly configurationSet: ConfigurationSet;
  /** The domain or address whose SES identity authorizes the sender. */
  readonly identityName: string;
  /** Only when the stack creates the identity. */
  readonly identity: EmailIdentity | undefined;
  readonly fromAddress: string;
  /** What a sending function reads: EMAIL_FROM_ADDRESS, EMAIL_FROM_NAME, SES_CONFIGURATION_SET_NAME, DAILY_DIGEST_AT and _TIME_ZONE. */
  readonly senderEnvironment: Readonly<Record<string, string>>;
  private readonly identityArn: string;
  private readonly configurationSetArn: string;

  constructor(scope: Construct, id: string, props: CrmEmailProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);

    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: config.configurationSetName ?? stack.stackName,
      // Never hand a CRM email to a receiving server in plain text.
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      // Bounce and complaint rates of this set alone, as CloudWatch metrics (the alarms read them).
      reputationMetrics: true,
      sendingEnabled: true,
      // An address that bounced hard or complained is not mailed again: SES drops the send
      // instead of hurting the account's reputation. Stated here rather than inherited, so an
      // account-level change cannot switch it off for the CRM.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    // SES publishes to no bus but the account's default one.
    this.configurationSet.addEventDestination('ToDefaultEventBus', {
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [...publishedEmailEvents],
    });

    this.identityName = sendingIdentityOf(config);
    this.fromAddress = config.fromAddress;
    if (config.createIdentity) {
      const isAddress = this.identityName.includes('@');
      this.identity = new EmailIdentity(this, 'Identity', {
        identity: isAddress ? Identity.email(this.identityName) : Identity.domain(this.identityName),
        // Mail sent from this identity uses the CRM's set even if a caller leaves it out.
        configurationSet: this.configurationSet,
        ...(isAddress ? {} : { dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT) }),
        // Bounces and complaints arrive as events; mailing them to the sender too would only
        // fill (or bounce off) a mailbox nobody reads.
        feedbackForwarding: false,
      });
      this.identityArn = this.identity.emailIdentityArn;
    } else {
      this.identityArn = stack.formatArn({ service: 'ses', resource: 'identity', resourceName: this.identityName });
    }
    this.configurationSetArn = stack.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });

    this.senderEnvironment = {
      EMAIL_FROM_ADDRESS: config.fromAddress,
      ...(config.fromName ? { EMAIL_FROM_NAME: config.fromName } : {}),
      ...(config.dailyDigest ? { DAILY_DIGEST_AT: config.dailyDigest.at, DAILY_DIGEST_TIME_ZONE: config.dailyDigest.timeZone } : {}),
      SES_CONFIGURATION_SET_NAME: this.configurationSet.configurationSetName,
      // Replies to CRM mail go to the inbound domain, where the CRM reads them.
      ...(config.inbound ? { INBOUND_EMAIL_DOMAIN: config.inbound.domain } : {}),
    };
  }

  /**
   * The CNAME records that verify a domain identity the stack created (Easy DKIM), to be
   * published at the domain's DNS provider. None for an address or an existing identity.
   */
  get dkimRecords(): DkimRecord[] {
    return this.identity && !this.identityName.includes('@') ? this.identity.dkimRecords : [];
  }

  /**
   * SES v2 SendEmail, authorized on both resources it checks: the sender identity and the
   * configuration set. Only from the configured address, so a compromised function cannot
   * send as anyone else at the domain. (SES v2 has no SendRawEmail action: raw messages are
   * SendEmail too.)
   */
  grantSend(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [this.identityArn, this.configurationSetArn],
        conditions: { StringEquals: { 'ses:FromAddress': this.fromAddress } },
      }),
    );
  }
}
