import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { parseInboundMessage } from '../../adapters/inbound/mime-message';
import { createRuntime, type CrmRuntime } from '../../adapters/runtime';
import { isAutomatic, receiveInboundEmail, type InboundMessage } from '../../domain/inbound/inbound-email';
import { contactModel } from '../../domain/records/contact';
import { createRecord } from '../../domain/records/create-record';
import { recordTimeline } from '../../domain/records/record-timeline';
import type { Actor } from '../../domain/shared/actor';
import { createTestTable } from '../support/local-dynamodb';

/**
 * Inbound mail on the real table (DynamoDB Local) and the real MIME parser: the same message
 * handled twice (SES retries its Lambda action) is one activity, a large one keeps no text,
 * and the automatic-answer rules.
 */

const admin: Actor = { type: 'user', id: 'inbound-admin', role: 'admin' };
const settings = { domain: 'inbound.acme.example' };
let runtime: CrmRuntime;
beforeAll(async () => {
  const table = await createTestTable();
  runtime = createRuntime(loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' }));
});

const raw = (from: string, extra = '', body = 'Thanks, sounds good.') =>
  Buffer.from(
    [`From: Ana <${from}>`, 'To: sales@inbound.acme.example', 'Cc: Bo <bo@customer.example>', 'Subject: Re: Offer', 'Message-ID: <abc@customer.example>', 'Date: Mon, 30 Nov 2026 10:00:00 +0000', extra, 'Content-Type: text/plain; charset=utf-8', '', body]
      .filter((line, index) => line !== '' || index > 6)
      .join('\r\n'),
  );
const receipt = (receiptId: string) => ({ receiptId, recipients: ['sales@inbound.acme.example'], receivedAt: '2026-11-30T10:00:05.000Z', verdicts: { spam: 'PASS', virus: 'PASS' } });

describe('inbound email on the table', () => {
  it('parses addresses, text and thread ids with mailparser', async () => {
    const message = await parseInboundMessage(raw('ana@customer.example', 'In-Reply-To: <0100abc@email.amazonses.com>'), receipt('r-parse'));
    expect(message).toMatchObject({
      from: { address: 'ana@customer.example', name: 'Ana' },
      to: [{ address: 'sales@inbound.acme.example' }],
      cc: [{ address: 'bo@customer.example', name: 'Bo' }],
      subject: 'Re: Offer',
      text: 'Thanks, sounds good.',
      inReplyTo: '<0100abc@email.amazonses.com>',
      sentAt: '2026-11-30T10:00:00.000Z',
    });
  });

  it('logs a message handled twice once, and keeps no text of one over the size cap', async () => {
    const contact = await createRecord(runtime, contactModel, { firstName: 'Ana', email: 'ana@customer.example' }, admin);
    const message = await parseInboundMessage(raw('ana@customer.example'), receipt('r-twice'));
    const first = await receiveInboundEmail(runtime, message, settings);
    const again = await receiveInboundEmail(runtime, message, settings);
    // The same message received anew (a sender's second delivery): another SES id, the same Message-ID.
    const resent = await receiveInboundEmail(runtime, { ...message, receiptId: 'r-resent' }, settings);
    expect(first).toMatchObject({ outcome: 'logged', contactIds: [contact.id] });
    expect(again).toEqual(first);
    expect(resent).toEqual(first);

    const big: InboundMessage = { ...(await parseInboundMessage(raw('ana@customer.example', '', 'x'.repeat(10)), receipt('r-big'))), messageId: '<big@customer.example>', sizeBytes: 30_000_000 };
    await receiveInboundEmail(runtime, big, settings);
    const timeline = await recordTimeline(runtime, contactModel, contact.id, { limit: 10 }, admin);
    const activities = timeline.items.flatMap((entry) => (entry.kind === 'activity' ? [entry.activity] : []));
    expect(activities).toHaveLength(2);
    expect(activities.find((activity) => (activity.email as { bodyOmitted?: boolean }).bodyOmitted)?.body).toMatch(/over the 25 MB up to which the CRM keeps the text/);
  });

  it('refuses, as unreadable, a message whose header outgrows the parser (the handler keeps it for review)', async () => {
    const { UnreadableMessageError } = await import('../../adapters/inbound/mime-message');
    const references = `References: ${Array.from({ length: 40_000 }, (_, n) => `<ses-${n}@email.amazonses.com>`).join(' ')}`;
    await expect(parseInboundMessage(raw('ana@customer.example', references), receipt('r-huge'))).rejects.toBeInstanceOf(UnreadableMessageError);
  });

  it('tells automatic answers from replies', () => {
    const base = { subject: 'Re: Offer', from: { address: 'ana@customer.example' } };
    expect(isAutomatic({ ...base, headers: {} })).toBe(false);
    expect(isAutomatic({ ...base, headers: { 'auto-submitted': 'no' } })).toBe(false);
    expect(isAutomatic({ ...base, headers: { 'auto-submitted': 'auto-replied' } })).toBe(true);
    expect(isAutomatic({ ...base, headers: { precedence: 'bulk' } })).toBe(true);
    expect(isAutomatic({ ...base, headers: { 'x-auto-response-suppress': 'All' } })).toBe(true);
    expect(isAutomatic({ ...base, subject: 'Out of Office: Offer', headers: {} })).toBe(true);
    expect(isAutomatic({ ...base, subject: 'Automatic reply: Offer', headers: {} })).toBe(true);
    expect(isAutomatic({ subject: 'Undeliverable', from: { address: 'MAILER-DAEMON@mx.example' }, headers: {} })).toBe(true);
  });
});

describe('text from mail', () => {
  it('is cleaned to what the API accepts: no control characters or lone surrogates, cut between characters', async () => {
    const { clean } = await import('../../domain/inbound/inbound-email');
    expect(clean('ctl\u0001char\u001b', 50)).toBe('ctlchar');
    expect(clean('a\r\nb\tc', 50, { oneLine: true })).toBe('a b c');
    expect(clean('x\uD83D', 50)).toBe('x\uFFFD');
    const cut = clean(`${'s'.repeat(299)}😀`, 300);
    expect(cut).toHaveLength(300);
    expect(cut.endsWith('…')).toBe(true);
    expect(clean(`${'s'.repeat(298)}😀😀`, 300)).toBe(`${'s'.repeat(298)}…`);
  });
});
