import { readFileSync } from 'node:fs';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { crmEventTypes, type CrmEventType } from '../../domain/events/crm-events';
import { eventSchemaFile } from '../../schemas/event-schema-files';

/**
 * The published event schemas (schemas/events/, draft 4 as the schema registry takes them),
 * read from the files integrators get, and a third-party validator to hold events to them.
 */
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv as never);
const validators = new Map(crmEventTypes.map((type) => [type, ajv.compile(JSON.parse(readFileSync(eventSchemaFile(type), 'utf8')) as object)]));

/** What is wrong with an event as a rule's target receives it; empty when it matches its type's schema. */
export function eventViolations(event: { readonly 'detail-type': string }): string[] {
  const validate = validators.get(event['detail-type'] as CrmEventType);
  if (!validate) return [`no published schema for detail-type ${event['detail-type']}`];
  if (validate(event)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}

/** A CRM event as EventBridge would deliver it (the envelope the local endpoint builds too). */
export const delivered = (event: { source: string; detailType: string; time: string; detail: unknown }) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': event.detailType,
  source: event.source,
  account: '000000000000',
  time: event.time,
  region: 'us-east-1',
  resources: [],
  detail: event.detail,
});
