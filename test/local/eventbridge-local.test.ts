import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../adapters/eventbridge/eventbridge-publisher';
import { CRM_EVENT_SOURCE, type CrmEvent } from '../../domain/events/crm-events';
import { createLocalEventBus, type BusEvent } from '../../local/event-bus';
import { createLambdaContext } from '../../local/lambda-context';
import { startEventBridgeLocal, type EventBridgeLocal, type EventBridgeLocalOptions } from '../../local/eventbridge-local';

const BUS = 'crm-test';
let running: EventBridgeLocal | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(options: Partial<EventBridgeLocalOptions> = {}) {
  running = await startEventBridgeLocal({ buses: { [BUS]: createLocalEventBus({ rules: {} }) }, ...options });
  const client = new EventBridgeClient({ endpoint: running.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return { local: running, client };
}

const event = (recordId: string, extra = ''): CrmEvent =>
  ({
    source: CRM_EVENT_SOURCE,
    detailType: 'contact.created',
    time: '2026-03-01T10:00:00.000Z',
    detail: { schemaVersion: 1, eventId: `contact.created/${recordId}/1`, type: 'contact.created', recordId, version: 1, extra },
  }) as unknown as CrmEvent;

describe('the local EventBridge endpoint', () => {
  it('takes PutEvents from the SDK and delivers each entry as EventBridge does', async () => {
    const { local } = await start();
    const publisher = new EventBridgePublisher({ AWS_REGION: 'us-east-1', EVENTBRIDGE_ENDPOINT: local.endpoint, EVENT_BUS_NAME: BUS });
    expect(await publisher.putEvents([event('C1'), event('C2')])).toEqual({ failed: [] });
    const events = local.events() as BusEvent[];
    expect(events.map((delivered) => (delivered.detail as { recordId: string }).recordId)).toEqual(['C1', 'C2']);
    expect(events[0]).toMatchObject({ version: '0', source: 'crm', 'detail-type': 'contact.created', time: '2026-03-01T10:00:00Z', account: expect.stringMatching(/^\d{12}$/), resources: [] });
    const listed = (await (await fetch(`${local.endpoint}/events?detail-type=contact.created`)).json()) as { events: BusEvent[] };
    expect(listed.events).toHaveLength(2);
  });

  it("holds requests to EventBridge's limits: 10 entries, 256 KB, a JSON object as detail, a bus that exists", async () => {
    const { client, local } = await start();
    const entry = { EventBusName: BUS, Source: 'crm', DetailType: 'contact.created', Detail: '{}' };
    await expect(client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new PutEventsCommand({ Entries: [{ ...entry, Detail: JSON.stringify({ big: 'x'.repeat(256 * 1024) }) }] }))).rejects.toMatchObject({ name: 'ValidationException' });
    const answer = await client.send(new PutEventsCommand({ Entries: [{ ...entry, Detail: '[1]' }, { ...entry, EventBusName: 'nope' }, entry] }));
    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries!.map((result) => result.ErrorCode)).toEqual(['MalformedDetail', 'InvalidArgument', undefined]);
    expect(local.events()).toHaveLength(1);
  });

  it('reports the entries it fails by position, for the publisher to send again', async () => {
    const { local } = await start({ failEntry: (entry) => (entry.Detail?.includes('"C2"') ? { code: 'ThrottlingException', message: 'Rate exceeded' } : undefined) });
    const publisher = new EventBridgePublisher({ AWS_REGION: 'us-east-1', EVENTBRIDGE_ENDPOINT: local.endpoint, EVENT_BUS_NAME: BUS });
    expect(await publisher.putEvents([event('C1'), event('C2'), event('C3')])).toEqual({ failed: [{ index: 1, reason: 'ThrottlingException: Rate exceeded' }] });
  });
});

describe('the event publisher function', () => {
  it('hands the stream back from the first change it could not publish (what went through beside it comes again, same eventId)', async () => {
    const { local } = await start({ failEntry: (entry) => (entry.Detail?.includes('"C2"') ? { code: 'InternalException', message: 'try again' } : undefined) });
    Object.assign(process.env, { TABLE_NAME: 'crm-publisher-test', EVENTBRIDGE_ENDPOINT: local.endpoint, EVENT_BUS_NAME: BUS, POWERTOOLS_METRICS_DISABLED: 'true' });
    const { handler } = await import('../../functions/event-publisher');
    const contactItem = (id: string) =>
      marshall({
        pk: `CONTACT#${id}`,
        sk: 'RECORD',
        entity: 'contact',
        id,
        firstName: id,
        lifecycleStage: 'lead',
        companyIds: [],
        createdAt: '2026-03-01T10:00:00.000Z',
        updatedAt: '2026-03-01T10:00:00.000Z',
        version: 1,
      });
    const records = ['C1', 'C2', 'C3'].map((id, index) => ({
      eventName: 'INSERT' as const,
      dynamodb: { Keys: marshall({ pk: `CONTACT#${id}`, sk: 'RECORD' }), NewImage: contactItem(id), SequenceNumber: String(100 + index) },
    }));
    const answer = await handler({ Records: records } as never, createLambdaContext({ functionName: 'eventPublisher', memoryMb: 512, timeoutSeconds: 60 }));
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }, { itemIdentifier: '102' }] });
    // C3 was in the same request as C2 and went through: the stream's retry sends it again, as a duplicate consumers drop by eventId.
    expect(local.events().map((delivered) => (delivered.detail as { recordId: string }).recordId)).toEqual(['C1', 'C3']);
  }, 20_000);
});
