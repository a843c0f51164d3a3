import { readFileSync } from 'node:fs';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSesEventSource, type SesEventSource } from '../../local/ses-event-source';
import type { SesEvent } from '../../local/ses-events';

const CONFIGURATION_SET = 'crm-local';
const endpoint = inject('sesEndpoint');
const ses = new SESv2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const published: SesEvent[] = [];
let source: SesEventSource;

beforeAll(() => {
  // Polled by hand (poll()) so each test knows its events are out; the interval only matters for npm start.
  source = startSesEventSource({ storeUrl: `${endpoint}/store`, configurationSetName: CONFIGURATION_SET, publish: (event) => published.push(event), pollIntervalMs: 60_000 });
});
afterAll(async () => {
  await source.stop();
  ses.destroy();
});

async function send(to: string[], options: { configurationSet?: string | null; tags?: Record<string, string> } = {}): Promise<string> {
  const { configurationSet = CONFIGURATION_SET, tags = {} } = options;
  const { MessageId } = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: '"CRM" <crm@example.com>',
      Destination: { ToAddresses: to },
      Content: { Simple: { Subject: { Data: 'Follow-up' }, Body: { Text: { Data: 'Hello' } } } },
      EmailTags: Object.entries(tags).map(([Name, Value]) => ({ Name, Value })),
      ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
    }),
  );
  return MessageId!;
}

/** The events of one email: the shared SES holds other test files' mail too. */
async function eventsOf(messageId: string): Promise<SesEvent[]> {
  await source.poll();
  return published.filter((event) => event.detail.mail.messageId === messageId);
}

const sample = (name: string): unknown => JSON.parse(readFileSync(new URL(`../support/events/${name}.json`, import.meta.url), 'utf8'));

/**
 * Every key path of a JSON value (array items merged), so two events with different
 * values but the same structure compare equal. `mail.tags` holds whatever tags were
 * sent, so only its presence counts.
 */
function keyPaths(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((item) => keyPaths(item, `${path}[]`)))];
  if (typeof value !== 'object' || value === null || path === '.detail.mail.tags') return [path];
  return Object.entries(value).flatMap(([key, child]) => keyPaths(child, `${path}.${key}`)).sort();
}

describe('SES events for mail sent to the local SES', () => {
  it('bounces mail to bounce@simulator.amazonses.com, Permanent/General, in the shape SES publishes', async () => {
    const messageId = await send(['Bouncy <bounce@simulator.amazonses.com>']);

    const [bounce, ...others] = await eventsOf(messageId);

    expect(others).toEqual([]);
    expect(bounce).toMatchObject({
      source: 'aws.ses',
      'detail-type': 'Email Bounced',
      detail: {
        eventType: 'Bounce',
        bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'bounce@simulator.amazonses.com', action: 'failed', status: '5.1.1' }] },
        mail: { messageId, source: '"CRM" <crm@example.com>', destination: ['bounce@simulator.amazonses.com'] },
      },
    });
    expect(keyPaths(bounce)).toEqual(keyPaths(sample('ses-bounce')));
  });

  it('delivers, then reports a complaint for, mail to complaint@simulator.amazonses.com', async () => {
    const messageId = await send(['complaint@simulator.amazonses.com']);

    const events = await eventsOf(messageId);

    expect(events.map((event) => event['detail-type'])).toEqual(['Email Delivered', 'Email Complaint Received']);
    expect(events[1]!.detail.complaint).toMatchObject({ complainedRecipients: [{ emailAddress: 'complaint@simulator.amazonses.com' }], complaintFeedbackType: 'abuse' });
    expect(keyPaths(events[0])).toEqual(keyPaths(sample('ses-delivery')));
    expect(keyPaths(events[1])).toEqual(keyPaths(sample('ses-complaint')));
  });

  it('bounces mail to suppressionlist@simulator.amazonses.com as on the account suppression list', async () => {
    const messageId = await send(['suppressionlist@simulator.amazonses.com']);

    const events = await eventsOf(messageId);

    expect(events).toHaveLength(1);
    expect(events[0]!.detail.bounce).toMatchObject({ bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList' });
  });

  it('delivers mail to success@simulator.amazonses.com and every other address, one event per recipient', async () => {
    const messageId = await send(['success@simulator.amazonses.com', 'ada@example.com', 'bounce+run-7@simulator.amazonses.com']);

    const events = await eventsOf(messageId);

    expect(events.map((event) => [event['detail-type'], event.detail.delivery?.recipients ?? event.detail.bounce?.bouncedRecipients.map((r) => r.emailAddress)])).toEqual([
      ['Email Delivered', ['success@simulator.amazonses.com']],
      ['Email Delivered', ['ada@example.com']],
      // A labelled simulator address behaves like the plain one.
      ['Email Bounced', ['bounce+run-7@simulator.amazonses.com']],
    ]);
  });

  it('carries the MessageId SendEmail returned and the sender\'s tags, next to SES\'s own', async () => {
    const messageId = await send(['ada@example.com'], { tags: { 'crm-message-id': 'MSG-42' } });

    const [delivered] = await eventsOf(messageId);

    expect(delivered!.detail.mail.messageId).toBe(messageId);
    expect(delivered!.detail.mail.tags).toEqual({
      'crm-message-id': ['MSG-42'],
      'ses:configuration-set': [CONFIGURATION_SET],
      'ses:source-ip': ['127.0.0.1'],
      'ses:from-domain': ['example.com'],
      'ses:caller-identity': ['local'],
    });
    expect(delivered!.resources).toEqual([`arn:aws:ses:us-east-1:000000000000:configuration-set/${CONFIGURATION_SET}`]);
  });

  it('publishes nothing for mail sent without the configuration set, as SES would not', async () => {
    const withoutSet = await send(['ada@example.com'], { configurationSet: null });
    const otherSet = await send(['ada@example.com'], { configurationSet: 'marketing' });

    expect(await eventsOf(withoutSet)).toEqual([]);
    expect(await eventsOf(otherSet)).toEqual([]);
  });

  it('publishes the events of an email once, however often it polls', async () => {
    const messageId = await send(['ada@example.com']);

    await source.poll();
    await source.poll();

    expect(await eventsOf(messageId)).toHaveLength(1);
  });
});
