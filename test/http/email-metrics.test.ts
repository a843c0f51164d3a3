import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime } from '../../adapters/runtime';
import { MESSAGE_ID_TAG } from '../../adapters/ses/message-tag';
import { sendEmailToContact } from '../../domain/email/send-email';
import { createRecord } from '../../domain/records/create-record';
import { contactModel } from '../../domain/records/contact';
import { emfDuring } from '../support/emf';
import { createTestTable, type TestTable } from '../support/local-dynamodb';

const context = (functionName: string) => ({ functionName, awsRequestId: 'r1', getRemainingTimeInMillis: () => 10_000 }) as never;

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
  process.env.TABLE_NAME = table.tableName;
  process.env.DYNAMODB_ENDPOINT = table.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
});

describe('email and automation metrics (embedded metric format)', () => {
  it('counts a bounce reported by SES', async () => {
    const runtime = createRuntime(loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' }));
    const actor = { type: 'user', id: 'metrics-user', role: 'member' } as const;
    const contact = await createRecord(runtime, contactModel, { email: 'recipient@example.com' }, actor);
    const message = await sendEmailToContact({ ...runtime, emailSender: { send: async () => ({ providerMessageId: 'p-1' }) } }, { contactId: contact.id, subject: 's', text: 't', source: { kind: 'api' } }, actor);
    const event = JSON.parse(readFileSync(new URL('../support/events/ses-bounce.json', import.meta.url), 'utf8'));
    event.detail.mail.tags[MESSAGE_ID_TAG] = [message.id];

    const emf = await emfDuring(async () => (await import('../../functions/email-events')).handler(event, context('emailEvents')));
    expect(emf.find((entry) => entry.EmailsBounced !== undefined)).toMatchObject({ service: 'crm', EmailsBounced: 1, _aws: { CloudWatchMetrics: [{ Namespace: 'CRM', Dimensions: [['service']] }] } });
  });

  it('counts a sequence run that gave up', async () => {
    const failed = { action: 'fail', sequenceId: 'S1', contactId: 'C1', runId: 'R1', stepIndex: 0, error: 'States.TaskFailed', cause: '{}' };
    const emf = await emfDuring(async () => (await import('../../functions/sequence-step')).handler(failed, context('sequenceStep')));
    expect(emf.find((entry) => entry.SequenceStepsFailed !== undefined)).toMatchObject({ SequenceStepsFailed: 1 });
  });

  it('refuses a Task input that is not a sequence step', async () => {
    const { handler } = await import('../../functions/sequence-step');
    await expect(handler({ action: 'send', sequenceId: 'S1' }, context('sequenceStep'))).rejects.toThrow();
  });
});
