import { describe, expect, it } from 'vitest';
import type { EmailMessage } from '../../domain/email/email-message';
import type { CrmRecord } from '../../domain/records/record-model';
import { advanceHistory, emailShare, shareDifference, shareOf, weekOf } from '../../domain/reports/report-shares';

const deal = (fields: Record<string, unknown>): CrmRecord => ({ id: 'd1', createdAt: '2026-01-10T00:00:00.000Z', updatedAt: '2026-01-10T00:00:00.000Z', version: 1, pipelineId: 'default', currency: 'EUR', ...fields });

describe('report shares', () => {
  it('an open deal adds to its stage and its close month, in cents of its own currency, weighted by probability', () => {
    const open = deal({ stageId: 'qualified_to_buy', status: 'open', probability: 0.4, amount: 1234.56, ownerId: 'ana', expectedCloseDate: '2026-03-15' });
    expect(shareOf('deal', open, advanceHistory({}, 'deal', open, open.createdAt))).toEqual({
      'PIPELINE|default|qualified_to_buy#ana': { openDeals: 1, amount_EUR: 123456, weighted_EUR: 49382 },
      'FORECAST||2026-03#default#ana': { openDeals: 1, amount_EUR: 123456, weighted_EUR: 49382 },
    });
  });

  it('a won deal adds to the month it closed, with its days to close and the time it spent in each stage it left', () => {
    const start = deal({ stageId: 'qualified_to_buy', status: 'open', probability: 0.4, amount: 100 });
    let history = advanceHistory({}, 'deal', start, start.createdAt);
    const won = deal({ stageId: 'closed_won', status: 'won', probability: 1, amount: 100, closedAt: '2026-02-09T00:00:00.000Z', updatedAt: '2026-02-09T00:00:00.000Z' });
    history = advanceHistory(history, 'deal', won, won.updatedAt);
    expect(shareOf('deal', won, history)).toEqual({
      'CLOSED||2026-02#default#-': { wonDeals: 1, wonAmount_EUR: 10000, wonSeconds: 30 * 86_400 },
      'STAGETIME|default|2026-02#qualified_to_buy': { seconds: 30 * 86_400, exits: 1 },
    });
  });

  it('an email counts as far as it got', () => {
    const email = (status: EmailMessage['status']): EmailMessage => ({
      id: 'e1', contactId: 'c1', to: 'a@b.example', subject: 's', text: 't', status, source: { kind: 'sequence', sequenceId: 'seq-1', runId: 'r', stepIndex: 0 }, sentBy: { type: 'user', id: 'u' }, createdAt: '2026-11-30T10:00:00.000Z', updatedAt: '2026-11-30T10:00:00.000Z', version: 1,
    });
    const bucket = '2026-11#sequence#seq-1';
    expect(emailShare(email('sending'))).toEqual({});
    expect(emailShare(email('replied'))).toEqual({ [`EMAIL||${bucket}`]: { sent: 1, delivered: 1, replied: 1 } });
    expect(emailShare(email('bounced'))).toEqual({ [`EMAIL||${bucket}`]: { sent: 1, bounced: 1 } });
    expect(emailShare(email('rejected'))).toEqual({ [`EMAIL||${bucket}`]: { rejected: 1 } });
    expect(shareDifference(emailShare(email('sent')), emailShare(email('delivered')))).toEqual({ [`EMAIL||${bucket}`]: { delivered: 1 } });
    // Its saved template counts it too, and an unsubscribe through its link counts against both.
    const templated = { ...email('delivered'), templateId: 'tpl-1' };
    expect(emailShare(templated)).toEqual({ [`EMAIL||${bucket}`]: { sent: 1, delivered: 1 }, 'EMAIL|TEMPLATE|2026-11#tpl-1': { sent: 1, delivered: 1 } });
    expect(shareDifference(emailShare(templated), emailShare({ ...templated, unsubscribedAt: '2026-12-02T00:00:00.000Z' }))).toEqual({
      [`EMAIL||${bucket}`]: { unsubscribed: 1 },
      'EMAIL|TEMPLATE|2026-11#tpl-1': { unsubscribed: 1 },
    });
  });

  it('names a week by its Monday', () => {
    expect(weekOf('2026-11-30T23:00:00.000Z')).toBe('2026-11-30');
    expect(weekOf('2026-12-06T10:00:00.000Z')).toBe('2026-11-30');
    expect(weekOf('2026-12-07')).toBe('2026-12-07');
  });
});
