import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createLocalEventBus, deployedEventRules, type BusEvent, type EventRuleTarget } from '../../local/event-bus';
import { LOCAL_SES_CONFIGURATION_SET } from '../../local/local-arns';
import { eventInvocations } from '../support/fixtures/recording-event-handler';

const FIXTURES = fileURLToPath(new URL('../support/fixtures/', import.meta.url));
/** The deployed rule, pattern and retries as the stack declares them, with a handler that records what it gets. */
const emailEvents: EventRuleTarget = { ...deployedEventRules().emailEvents!, entry: 'recording-event-handler.ts' };

const awsSample = (name: string): BusEvent => JSON.parse(readFileSync(new URL(`../support/events/${name}.json`, import.meta.url), 'utf8')) as BusEvent;
/** A sample event as the local SES publishes it: for mail of the local configuration set. */
const sample = (name: string): BusEvent => {
  const event = awsSample(name) as BusEvent & { detail: { mail: { tags: Record<string, string[]> } } };
  event.detail.mail.tags['ses:configuration-set'] = [LOCAL_SES_CONFIGURATION_SET];
  return event;
};
const withDetail = (event: BusEvent, detail: Record<string, unknown>): BusEvent => ({ ...event, id: crypto.randomUUID(), detail: { ...(event.detail as object), ...detail } });

beforeEach(() => {
  eventInvocations().length = 0;
});

describe('routing, with the rules the stack declares', () => {
  it.each(['ses-delivery', 'ses-bounce', 'ses-complaint'])('hands %s to the emailEvents rule\'s handler, with a Lambda context', async (name) => {
    const bus = createLocalEventBus({ rules: { emailEvents }, rootDir: FIXTURES });
    const event = sample(name);

    const matched = bus.publish(event);
    await bus.drain();

    expect(matched).toEqual(['emailEvents']);
    expect(eventInvocations()).toEqual([{ event, functionName: 'emailEvents' }]);
  });

  it('routes an SES rejection too', async () => {
    const bus = createLocalEventBus({ rules: { emailEvents }, rootDir: FIXTURES });

    expect(bus.publish({ ...sample('ses-bounce'), 'detail-type': 'Email Rejected' })).toEqual(['emailEvents']);
    await bus.drain();
  });

  it('keeps out events the pattern does not name: other SES events, other sources, mail of another configuration set', async () => {
    const bus = createLocalEventBus({ rules: { emailEvents }, rootDir: FIXTURES });

    const matched = [
      bus.publish({ ...sample('ses-delivery'), 'detail-type': 'Email Opened' }),
      bus.publish({ ...sample('ses-delivery'), source: 'crm.sequences' }),
      bus.publish(awsSample('ses-delivery')),
    ];
    await bus.drain();

    expect(matched).toEqual([[], [], []]);
    expect(eventInvocations()).toEqual([]);
  });

  it('gives every matching rule the event', async () => {
    const bus = createLocalEventBus({ rules: { emailEvents, auditEmails: { ...emailEvents, eventPattern: { source: ['aws.ses'] } } }, rootDir: FIXTURES });

    expect(bus.publish(sample('ses-bounce'))).toEqual(['emailEvents', 'auditEmails']);
    await bus.drain();
    expect(eventInvocations().map((invocation) => invocation.functionName).sort()).toEqual(['auditEmails', 'emailEvents']);
  });

  it('refuses an event EventBridge would refuse', () => {
    const bus = createLocalEventBus({ rules: { emailEvents }, rootDir: FIXTURES });
    const { source: _source, ...withoutSource } = sample('ses-bounce');

    expect(() => bus.publish(withoutSource as BusEvent)).toThrow(/lacks source/);
  });
});

describe('failing handlers', () => {
  it('retries a failing invocation until it succeeds, within the rule\'s retries', async () => {
    const onDeadLetter = vi.fn();
    const bus = createLocalEventBus({ rules: { emailEvents: { ...emailEvents, maxRetries: 2 } }, rootDir: FIXTURES, retryDelayMs: 0, onDeadLetter });
    const event = withDetail(sample('ses-bounce'), { failTimes: 2 });

    bus.publish(event);
    await bus.drain();

    expect(eventInvocations()).toHaveLength(3);
    expect(onDeadLetter).not.toHaveBeenCalled();
  });

  it('dead-letters the event once the retries are used up', async () => {
    const onDeadLetter = vi.fn();
    const bus = createLocalEventBus({ rules: { emailEvents: { ...emailEvents, maxRetries: 2 } }, rootDir: FIXTURES, retryDelayMs: 0, onDeadLetter });
    const event = withDetail(sample('ses-bounce'), { failTimes: 10 });

    bus.publish(event);
    await bus.drain();

    expect(eventInvocations()).toHaveLength(3);
    expect(onDeadLetter).toHaveBeenCalledExactlyOnceWith('emailEvents', event, expect.objectContaining({ message: expect.stringMatching(/attempt 3 .* fails on purpose/) }));
  });

  it('hands every attempt its own copy of the event, as Lambda deserializes each invocation\'s payload', async () => {
    const bus = createLocalEventBus({ rules: { emailEvents: { ...emailEvents, maxRetries: 1 } }, rootDir: FIXTURES, retryDelayMs: 0, onDeadLetter: () => {} });
    const event = withDetail(sample('ses-bounce'), { failTimes: 1 });

    bus.publish(event);
    await bus.drain();

    const [first, second] = eventInvocations();
    expect(first!.event).not.toBe(second!.event);
    expect(second!.event).toEqual(event);
  });

  it('dead-letters events for a handler module that cannot be loaded', async () => {
    const onDeadLetter = vi.fn();
    const bus = createLocalEventBus({ rules: { emailEvents: { ...emailEvents, entry: 'no-such-handler.ts', maxRetries: 1 } }, rootDir: FIXTURES, retryDelayMs: 0, onDeadLetter });

    bus.publish(sample('ses-bounce'));
    await bus.drain();

    expect(onDeadLetter).toHaveBeenCalledOnce();
  });
});
