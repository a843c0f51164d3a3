import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SESEvent } from 'aws-lambda';
import { parseInboundMessage, unreadMessage, UnreadableMessageError, type Receipt } from '../adapters/inbound/mime-message';
import { S3RawMail } from '../adapters/inbound/s3-raw-mail';
import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { createRuntime } from '../adapters/runtime';
import { receiveInboundEmail, type InboundOutcome } from '../domain/inbound/inbound-email';
import { keepUnmatched } from '../domain/inbound/unmatched-inbound';
import { lambdaHandler } from './lambda-handler';

const runtime = createRuntime();
const rawMail = new S3RawMail(runtime.config);
const { INBOUND_EMAIL_DOMAIN } = runtime.config;

/**
 * SES receiving's Lambda action, after its S3 action stored the raw message (the receipt rule
 * of infra/constructs/crm-inbound-email.ts): parse it, then log it, as a reply or on a user's
 * behalf. A thrown error is retried by Lambda's asynchronous invocation; the result of a
 * message is the same however often it is handled.
 */
export const handler = lambdaHandler(async (event: SESEvent) => {
  if (!INBOUND_EMAIL_DOMAIN) throw new Error('INBOUND_EMAIL_DOMAIN is not set: this function cannot tell replies from other mail.');
  for (const record of event.Records) {
    const { mail, receipt } = record.ses;
    const seen: Receipt = {
      receiptId: mail.messageId,
      recipients: receipt.recipients,
      receivedAt: new Date(receipt.timestamp ?? mail.timestamp).toISOString(),
      verdicts: { spam: receipt.spamVerdict.status, virus: receipt.virusVerdict.status },
      ...(mail.source ? { envelopeFrom: mail.source } : {}),
    };
    let result: InboundOutcome;
    try {
      result = await receiveInboundEmail(runtime, await parseInboundMessage(await rawMail.read(mail.messageId), seen), { domain: INBOUND_EMAIL_DOMAIN });
    } catch (error) {
      // A message the parser cannot read (a header over its 1 MB limit, say) would fail every
      // retry: it is kept for review from what SES's receipt says of it, raw in the bucket.
      if (!(error instanceof UnreadableMessageError)) throw error;
      result = await keepUnmatched(runtime, unreadMessage(seen, mail.commonHeaders), `could not be read: ${error.message}`);
    }
    metrics.addMetric(result.outcome === 'rejected' ? 'InboundEmailsRejected' : 'InboundEmailsLogged', MetricUnit.Count, 1);
    // Addresses and subjects are personal data: the log names the message and what came of it.
    logger.info('inbound email', { receiptId: mail.messageId, ...result });
  }
});
