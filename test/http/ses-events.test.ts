import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../../local/event-pattern';
import { deployedEventPattern, functionManifest } from '../../functions/manifest';
import { emailEventFromSes } from '../../adapters/ses/ses-events';
import { MESSAGE_ID_TAG } from '../../adapters/ses/message-tag';

const sample = (name: string) => JSON.parse(readFileSync(new URL(`../support/events/${name}.json`, import.meta.url), 'utf8'));
/** A sample event as SES sends it for mail the CRM sent: with the CRM's message tag. */
const tagged = (name: string, messageId = 'MSG1') => {
  const event = sample(name);
  event.detail.mail.tags[MESSAGE_ID_TAG] = [messageId];
  return event;
};

describe('SES events (versioned samples in test/support/events)', () => {
  it.each(['ses-bounce', 'ses-complaint', 'ses-delivery'])('%s matches the emailEvents rule as deployed for its configuration set, and no other set', (name) => {
    expect(matchesEventPattern(deployedEventPattern(functionManifest.emailEvents.trigger, { configurationSetName: 'ConfigSet' }) as never, sample(name))).toBe(true);
    expect(matchesEventPattern(deployedEventPattern(functionManifest.emailEvents.trigger, { configurationSetName: 'crm-other-stage' }) as never, sample(name))).toBe(false);
  });

  it('reads a permanent bounce with its recipients and type', () => {
    expect(emailEventFromSes(tagged('ses-bounce'))).toEqual({
      kind: 'bounced',
      messageId: 'MSG1',
      providerMessageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
      recipients: ['recipient@example.com'],
      permanent: true,
      at: '2017-08-05T00:41:02.669Z',
      detail: 'Permanent/General',
    });
  });

  it('reads complaints and deliveries', () => {
    expect(emailEventFromSes(tagged('ses-complaint'))).toMatchObject({ kind: 'complained', permanent: true, recipients: [expect.any(String)] });
    expect(emailEventFromSes(tagged('ses-delivery'))).toMatchObject({ kind: 'delivered', permanent: false, recipients: [expect.any(String)] });
  });

  it('ignores mail the CRM did not send (no message tag)', () => {
    expect(emailEventFromSes(sample('ses-bounce'))).toBeUndefined();
  });

  it('refuses an event that is not an SES event record', () => {
    expect(() => emailEventFromSes({ 'detail-type': 'Email Bounced', detail: { eventType: 'Bounce' } })).toThrow();
  });
});
