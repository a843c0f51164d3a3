import type { EmailMessage, EmailStatus } from '../email/email-message';
import type { CrmRecord, RecordType } from '../records/record-model';

/**
 * What one record adds to the report counters, as a pure function of the record and the
 * history of the fields reports follow (a deal's stage, a contact's lifecycle stage, a
 * task's status). The report keeper (report-keeper.ts) stores each record's share and
 * applies the difference when the record changes; the rebuild computes the same share from
 * the record and its timeline. Counters are sums of shares, so a report reads a few counter
 * items whatever the number of records.
 *
 * Amounts are kept per currency, in cents (integers: sums never drift), and converted to the
 * reporting currency when a report is read, so a new exchange rate needs no recount.
 * Periods are UTC: months `2026-11`, days `2026-11-30`, weeks by their Monday.
 */

export type ReportedType = Extract<RecordType, 'deal' | 'contact' | 'activity'>;
export const reportedTypes: readonly ReportedType[] = ['deal', 'contact', 'activity'];
export const isReported = (type: RecordType): type is ReportedType => (reportedTypes as readonly string[]).includes(type);

/** Each counter a record adds to (`<report>|<scope, /-joined>|<bucket>`) and what it adds to each of its attributes. */
export type Share = Record<string, Record<string, number>>;

/** A followed field's values in order, each with when it took it: `[[value, since], …]`. */
export type FieldHistory = readonly (readonly [string, string])[];
export type History = Readonly<Record<string, FieldHistory>>;

/** The reports' counters: name, scope and the shape of their buckets. */
export const reports = {
  /** Open deals by stage and owner: `<stage>#<owner>` in the pipeline's scope. */
  pipeline: 'PIPELINE',
  /** Open deals by expected close month: `<month or none>#<pipeline>#<owner>`. */
  forecast: 'FORECAST',
  /** Won and lost deals by the month they closed: `<month>#<pipeline>#<owner>`. */
  closed: 'CLOSED',
  /** Time deals spent in a stage, by the month they left it: `<month>#<stage>` in the pipeline's scope. */
  stageTime: 'STAGETIME',
  /** Activities logged and tasks done per owner: `<day>#<owner>` (scope DAY) and `<Monday>#<owner>` (scope WEEK). */
  activity: 'ACTIVITY',
  /** Contacts per lifecycle stage now: `<stage>`. */
  lifecycle: 'LIFECYCLE',
  /** Contacts that moved between lifecycle stages, by month: `<month>#<from>#<to>`. */
  lifecycleMoves: 'LIFECYCLEMOVES',
  /** Emails by the month they were sent and what sent them: `<month>#<sequence|workflow|api>#<its id>`. */
  email: 'EMAIL',
} as const;

export const NO_OWNER = '-';
const NO_DATE = 'none';
/** Entries kept per followed field: bounds the share item and the keeper's transaction. */
export const MAX_HISTORY = 30;

export const counterId = (report: string, scope: readonly string[], bucket: string) => `${report}|${scope.join('/')}|${bucket}`;
export function parseCounterId(id: string): { readonly report: string; readonly scope: string[]; readonly bucket: string } {
  const [report, scope, ...bucket] = id.split('|');
  return { report: report!, scope: scope ? scope.split('/') : [], bucket: bucket.join('|') };
}

export const monthOf = (instant: string) => instant.slice(0, 7);
export const dayOf = (instant: string) => instant.slice(0, 10);
/** The Monday of an instant's (UTC) week. */
export function weekOf(instant: string): string {
  const day = new Date(`${dayOf(instant)}T00:00:00.000Z`);
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString().slice(0, 10);
}
const secondsBetween = (from: string, to: string) => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
const cents = (amount: unknown) => (typeof amount === 'number' ? Math.round(amount * 100) : 0);
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The fields reports follow the history of, as one value each (a deal's pipeline and stage together). */
export function followedValues(type: ReportedType, record: CrmRecord): Record<string, string> {
  switch (type) {
    case 'deal':
      return { placement: `${record.pipelineId as string}/${record.stageId as string}` };
    case 'contact':
      return { lifecycleStage: record.lifecycleStage as string };
    case 'activity':
      return record.kind === 'task' ? { taskStatus: (record.taskStatus as string | undefined) ?? 'open' } : {};
  }
}

/** Which record fields make up each followed value (a timeline's changes name record fields). */
export const followedFields: Readonly<Record<ReportedType, readonly string[]>> = { deal: ['pipelineId', 'stageId'], contact: ['lifecycleStage'], activity: ['taskStatus'] };

/** A history with each followed field moved on to its value in `record` at `at`, if it changed. */
export function advanceHistory(history: History, type: ReportedType, record: CrmRecord, at: string): History {
  const next: Record<string, FieldHistory> = { ...history };
  for (const [field, value] of Object.entries(followedValues(type, record))) {
    const entries = history[field] ?? [];
    if (entries.at(-1)?.[0] === value) continue;
    next[field] = [...entries, [value, entries.length === 0 ? record.createdAt : at] as const].slice(-MAX_HISTORY);
  }
  return next;
}

class ShareBuilder {
  readonly share: Share = {};
  add(report: string, scope: readonly string[], bucket: string, values: Record<string, number>): void {
    const nonZero = Object.entries(values).filter(([, amount]) => amount !== 0);
    if (nonZero.length === 0) return;
    const counter = (this.share[counterId(report, scope, bucket)] ??= {});
    for (const [name, amount] of nonZero) counter[name] = (counter[name] ?? 0) + amount;
  }
}

/** Pairs of consecutive history entries: a value, when it was taken, and when the next one replaced it. */
const leftValues = (entries: FieldHistory | undefined) =>
  (entries ?? []).slice(0, -1).map(([value, since], index) => ({ value, since, left: entries![index + 1]![1], next: entries![index + 1]![0] }));

function dealShare(deal: CrmRecord, history: History, builder: ShareBuilder): void {
  const pipelineId = deal.pipelineId as string;
  const owner = text(deal.ownerId) ?? NO_OWNER;
  const currency = (deal.currency as string | undefined) ?? 'USD';
  const amount = cents(deal.amount);
  if (deal.status === 'open') {
    const values = { openDeals: 1, [`amount_${currency}`]: amount, [`weighted_${currency}`]: Math.round(amount * Number(deal.probability ?? 0)) };
    builder.add(reports.pipeline, [pipelineId], `${deal.stageId as string}#${owner}`, values);
    const closeMonth = text(deal.expectedCloseDate) ? monthOf(deal.expectedCloseDate as string) : NO_DATE;
    builder.add(reports.forecast, [], `${closeMonth}#${pipelineId}#${owner}`, values);
  } else if (text(deal.closedAt)) {
    const outcome = deal.status === 'won' ? 'won' : 'lost';
    builder.add(reports.closed, [], `${monthOf(deal.closedAt as string)}#${pipelineId}#${owner}`, {
      [`${outcome}Deals`]: 1,
      [`${outcome}Amount_${currency}`]: amount,
      [`${outcome}Seconds`]: secondsBetween(deal.createdAt, deal.closedAt as string),
    });
  }
  for (const visit of leftValues(history.placement)) {
    const [visitPipeline, stageId] = visit.value.split('/') as [string, string];
    builder.add(reports.stageTime, [visitPipeline], `${monthOf(visit.left)}#${stageId}`, { seconds: secondsBetween(visit.since, visit.left), exits: 1 });
  }
}

function contactShare(contact: CrmRecord, history: History, builder: ShareBuilder): void {
  builder.add(reports.lifecycle, [], contact.lifecycleStage as string, { contacts: 1 });
  for (const move of leftValues(history.lifecycleStage)) builder.add(reports.lifecycleMoves, [], `${monthOf(move.left)}#${move.value}#${move.next}`, { contacts: 1 });
}

function activityShare(activity: CrmRecord, history: History, builder: ShareBuilder): void {
  const perDayAndWeek = (instant: string, person: string, values: Record<string, number>) => {
    builder.add(reports.activity, ['DAY'], `${dayOf(instant)}#${person}`, values);
    builder.add(reports.activity, ['WEEK'], `${weekOf(instant)}#${person}`, values);
  };
  const owner = text(activity.ownerId) ?? NO_OWNER;
  perDayAndWeek(activity.occurredAt as string, owner, { [activity.kind as string]: 1 });
  const status = history.taskStatus?.at(-1);
  if (activity.kind === 'task' && status?.[0] === 'done') perDayAndWeek(status[1], text(activity.assigneeId) ?? owner, { tasksDone: 1 });
}

/** How far an email got, as counts: sent unless still sending or rejected by SES; delivered also when replied to or complained about. */
const emailProgress: Readonly<Record<EmailStatus, readonly string[]>> = {
  sending: [],
  sent: ['sent'],
  delivered: ['sent', 'delivered'],
  bounced: ['sent', 'bounced'],
  rejected: ['rejected'],
  replied: ['sent', 'delivered', 'replied'],
  complained: ['sent', 'delivered', 'complained'],
};

/** The scope of the email counters per saved template (beside those per source, which have none). */
export const EMAIL_TEMPLATE_SCOPE = 'TEMPLATE';

/** What one email message adds: to its month and its source (a sequence, a workflow, or the API), and to its template's. */
export function emailShare(message: EmailMessage): Share {
  const builder = new ShareBuilder();
  const source = message.source.kind === 'sequence' ? message.source.sequenceId : message.source.kind === 'workflow' ? message.source.workflowId : NO_OWNER;
  const counts = Object.fromEntries([...emailProgress[message.status], ...(message.unsubscribedAt ? ['unsubscribed'] : [])].map((counter) => [counter, 1]));
  builder.add(reports.email, [], `${monthOf(message.createdAt)}#${message.source.kind}#${source}`, counts);
  if (message.templateId) builder.add(reports.email, [EMAIL_TEMPLATE_SCOPE], `${monthOf(message.createdAt)}#${message.templateId}`, counts);
  return builder.share;
}

/** What the record adds to the counters, given the history of its followed fields. */
export function shareOf(type: ReportedType, record: CrmRecord, history: History): Share {
  const builder = new ShareBuilder();
  ({ deal: dealShare, contact: contactShare, activity: activityShare })[type](record, history, builder);
  return builder.share;
}

/** What to add to each counter to go from one share to the other (zero differences left out). */
export function shareDifference(from: Share, to: Share): Share {
  const difference: Share = {};
  for (const id of new Set([...Object.keys(from), ...Object.keys(to)])) {
    const before = from[id] ?? {};
    const after = to[id] ?? {};
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const delta = (after[name] ?? 0) - (before[name] ?? 0);
      if (delta !== 0) (difference[id] ??= {})[name] = delta;
    }
  }
  return difference;
}
