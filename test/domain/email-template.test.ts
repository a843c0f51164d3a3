import { describe, expect, it } from 'vitest';
import { renderTemplate, unknownPlaceholders } from '../../domain/email/email-template';
import { createSequenceSchema } from '../../domain/sequences/sequence';
import { outranks } from '../../domain/email/email-message';

describe('email templates', () => {
  it.each([
    ['Hi {{firstName}}', { firstName: 'Ada' }, 'Hi Ada'],
    ['Hi {{ firstName | there }}!', {}, 'Hi there!'],
    ['Hi {{firstName|there}}!', { firstName: '' }, 'Hi there!'],
    ['{{fullName}} <{{email}}>', { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' }, 'Ada Lovelace <ada@example.com>'],
    ['{{fullName}}', { lastName: 'Lovelace' }, 'Lovelace'],
    ['{{title | }}.', {}, '.'],
    ['no placeholders {{ }}', {}, 'no placeholders {{ }}'],
  ])('renders %j', (template, contact, expected) => {
    expect(renderTemplate(template, { contact })).toBe(expected);
  });

  it("fills in the contact's company, and escapes values in an HTML body", () => {
    const context = { contact: { firstName: 'Ada <script>' }, company: { name: 'Babbage & Sons', domain: 'babbage.example' } };
    expect(renderTemplate('{{firstName}} of {{company.name}} ({{company.domain}})', context)).toBe('Ada <script> of Babbage & Sons (babbage.example)');
    expect(renderTemplate('<p>{{firstName}} of {{company.name}}</p>', context, { asHtml: true })).toBe('<p>Ada &lt;script&gt; of Babbage &amp; Sons</p>');
    expect(renderTemplate('Hi {{company.name | there}}', { contact: {} })).toBe('Hi there');
    expect(unknownPlaceholders('{{company.name}} {{company.revenue}} {{deal.stage}} {{deal.name}}')).toEqual(['company.revenue', 'deal.stage']);
  });

  it('names braces that are no placeholder as written, so they are refused rather than mailed', () => {
    expect(unknownPlaceholders('{{first_name}} {{company.address.city}} Hi {{ firstName }')).toEqual(['{{first_name}}', '{{company.address.city}}', '{{ firstName }']);
    expect(unknownPlaceholders('{{firstName | there}} and }} alone')).toEqual([]);
    const result = createSequenceSchema.safeParse({ name: 'x', steps: [{ delayMinutes: 0, subject: 'ok', text: 'Hi {{first_name}}' }] });
    expect(result.error!.issues.map((issue) => issue.message)).toEqual(['unknown placeholder {{first_name}}']);
  });

  it('names unknown placeholders once each', () => {
    expect(unknownPlaceholders('{{firstname}} {{company}} {{company | x}} {{firstName}}')).toEqual(['firstname', 'company']);
  });

  it('refuses a sequence with an unknown placeholder, pointing at the step and field', () => {
    const result = createSequenceSchema.safeParse({ name: 'x', steps: [{ delayMinutes: 0, subject: 'ok', text: 'Hi {{frstName}}' }] });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([['steps.0.text', 'unknown placeholder {{frstName}}']]);
  });

  it('refuses sequences longer than a Step Functions execution may live', () => {
    const step = { delayMinutes: 200 * 24 * 60, subject: 's', text: 't' };
    expect(createSequenceSchema.safeParse({ name: 'x', steps: [step, step] }).success).toBe(false);
    expect(createSequenceSchema.safeParse({ name: 'x', steps: [step] }).success).toBe(true);
  });
});

describe('email status order', () => {
  it('lets stronger outcomes replace weaker ones only', () => {
    expect(outranks('delivered', 'sent')).toBe(true);
    expect(outranks('complained', 'bounced')).toBe(true);
    expect(outranks('delivered', 'complained')).toBe(false);
    expect(outranks('sent', 'sent')).toBe(false);
  });
});
