import { activityModel } from '../../../domain/records/activity';
import { companyModel } from '../../../domain/records/company';
import { contactModel } from '../../../domain/records/contact';
import { dealModel } from '../../../domain/records/deal';
import type { ApiOperation, OperationGroup } from '../api-operation';
import { auditOperations } from './audit';
import { emailOperations } from './emails';
import { emailTemplateOperations } from './email-templates';
import { exportOperations } from './exports';
import { importOperations } from './imports';
import { metaOperations } from './meta';
import { ownerOperations } from './owners';
import { pipelineOperations } from './pipelines';
import { privacyOperations } from './privacy';
import { propertyOperations } from './properties';
import { duplicateOperations, recordOperations } from './records';
import { searchOperations } from './search';
import { reportOperations } from './reports';
import { sequenceOperations } from './sequences';
import { teamOperations } from './teams';
import { unsubscribeOperations } from './unsubscribe';
import { webhookOperations } from './webhooks';
import { inboundEmailOperations } from './inbound-emails';
import { workflowOperations } from './workflows';

/**
 * The whole public contract, by group. Each group is what one Lambda serves
 * (functions/manifest.ts); handler modules import their own group's file only, so a
 * bundle carries its own schemas, not every group's.
 */
export const apiContract = {
  contacts: { ...recordOperations(contactModel), ...duplicateOperations(contactModel) },
  companies: { ...recordOperations(companyModel), ...duplicateOperations(companyModel) },
  deals: recordOperations(dealModel),
  activities: recordOperations(activityModel),
  search: searchOperations,
  reports: reportOperations,
  pipelines: pipelineOperations,
  properties: propertyOperations,
  emails: emailOperations,
  emailTemplates: emailTemplateOperations,
  sequences: sequenceOperations,
  teams: teamOperations,
  owners: ownerOperations,
  workflows: workflowOperations,
  webhooks: webhookOperations,
  inboundEmails: inboundEmailOperations,
  audit: auditOperations,
  privacy: privacyOperations,
  exports: exportOperations,
  imports: importOperations,
  unsubscribe: unsubscribeOperations,
  meta: metaOperations,
} satisfies Record<string, OperationGroup>;

export type ContractGroup = keyof typeof apiContract;

/** Every operation, in contract order. */
export const allOperations: readonly ApiOperation[] = Object.values(apiContract).flatMap((group) => Object.values(group));
