import * as z from '../../../domain/shared/zod';
import { inboundAddressSchema } from '../../../domain/inbound/inbound-addresses';
import { unmatchedInboundSchema } from '../../../domain/inbound/unmatched-inbound';
import { recordId } from '../../../domain/shared/common-fields';
import { operation } from '../api-operation';
import { pageOf, pageQuery } from './common';

export const inboundEmailOperations = {
  getInboundAddress: operation({
    routeKey: 'GET /v1/inbound-address',
    operationId: 'getInboundAddress',
    summary: 'Your logging address: BCC it on mail you send to log it on the contacts it is with (users)',
    description:
      "Mail to it is logged only when it comes from your own address (`acceptsMailFrom`, your owner entry's email), on the contacts among its To and Cc addresses. A forwarded message's original sender, inside its body, is not read. Needs email.inbound in the stage config.",
    tag: 'Inbound email',
    writes: true,
    success: { status: 200, description: 'Your address, made on first use', schema: inboundAddressSchema },
  }),
  rotateInboundAddress: operation({
    routeKey: 'POST /v1/inbound-address/rotate',
    operationId: 'rotateInboundAddress',
    summary: 'Replace your logging address; mail to the old one is no longer logged (users)',
    tag: 'Inbound email',
    success: { status: 200, description: 'Your new address', schema: inboundAddressSchema },
  }),
  listUnmatchedInboundEmails: operation({
    routeKey: 'GET /v1/inbound-emails/unmatched',
    operationId: 'listUnmatchedInboundEmails',
    summary: 'Mail the CRM could not log (a sender no contact has, a logging address used by another sender), kept 30 days for review, newest first (managers)',
    tag: 'Inbound email',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: pageOf(unmatchedInboundSchema, 'UnmatchedInboundEmailPage') },
  }),
  dismissUnmatchedInboundEmail: operation({
    routeKey: 'DELETE /v1/inbound-emails/unmatched/{id}',
    operationId: 'dismissUnmatchedInboundEmail',
    summary: 'Dismiss an unmatched message (managers)',
    tag: 'Inbound email',
    pathParams: z.object({ id: recordId }),
    success: { status: 204, description: 'Dismissed' },
  }),
};
