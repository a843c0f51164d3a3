import { requireCapability } from '../access/permissions';
import { DEFAULT_PIPELINE_ID, type Pipeline } from '../pipelines/pipeline';
import { findPipeline } from '../pipelines/pipeline-use-cases';
import { activityKinds } from '../records/activity';
import { lifecycleStages } from '../records/contact';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import type { RecordDependencies } from '../records/record-dependencies';
import { ValidationError } from '../shared/errors';
import { partitionQueries } from '../shared/key-design';
import { recordsByType, reportCounterQueries } from '../shared/keys';
import { forEachQueryPage } from '../shared/pagination';
import { teamsOfItems } from '../teams/teams';
import { findReportSettings, type ReportSettings } from './report-settings';
import { EMAIL_TEMPLATE_SCOPE, NO_OWNER, reports, weekOf } from './report-shares';

/**
 * The reports (`/v1/reports/…`), read from the counters the keeper maintains: a report reads
 * one Query per shard of each counter set it needs, as many items as it has periods, stages
 * and owners, never one per record. Amounts are converted to the reporting currency here;
 * an amount in a currency without a rate is reported apart (`unconverted`), never dropped.
 * Chart-ready: every series is an array in display order, periods included when empty.
 */

type Counters = Map<string, Record<string, number>>;

async function readCounters(deps: Pick<CoreDependencies, 'table'>, report: string, scope: readonly string[], range?: { readonly from: string; readonly to: string }): Promise<Counters> {
  const sums: Counters = new Map();
  await Promise.all(
    reportCounterQueries(report, scope, range).map((query) =>
      forEachQueryPage(deps.table, query, 1_000, (items) => {
        for (const item of items) {
          const sum = sums.get(item.sk) ?? {};
          for (const [name, value] of Object.entries(item)) if (typeof value === 'number') sum[name] = (sum[name] ?? 0) + value;
          sums.set(item.sk, sum);
        }
      }),
    ),
  );
  return sums;
}

/** Money in the reporting currency; what has no rate goes to `unconverted` (by field and currency) when one is given. */
class Money {
  private cents = 0;
  constructor(
    private readonly settings: ReportSettings,
    private readonly unconverted?: Record<string, number>,
  ) {}
  /** Adds the `<prefix>_<CUR>` amounts (cents) of a counter. */
  add(values: Record<string, number>, prefix: string): this {
    for (const [name, cents] of Object.entries(values)) {
      if (!name.startsWith(`${prefix}_`)) continue;
      const currency = name.slice(prefix.length + 1);
      const rate = currency === this.settings.currency ? 1 : this.settings.rates[currency];
      if (rate !== undefined) this.cents += cents * rate;
      else if (this.unconverted) this.unconverted[`${prefix} ${currency}`] = (this.unconverted[`${prefix} ${currency}`] ?? 0) + cents / 100;
    }
    return this;
  }
  get amount(): number {
    return Math.round(this.cents) / 100;
  }
}

interface ReportContext {
  readonly settings: ReportSettings;
  readonly unconverted: Record<string, number>;
  /** `total`: the report's totals, whose amounts without a rate are listed in `unconverted` (once, not per row). */
  money(total?: 'total'): Money;
}

async function reportContext(deps: Pick<CoreDependencies, 'table'>, actor: Actor, what: string): Promise<ReportContext> {
  requireCapability(actor, 'readRecords', `read the ${what} report`);
  const settings = await findReportSettings(deps.table);
  const unconverted: Record<string, number> = {};
  return { settings, unconverted, money: (total) => new Money(settings, total ? unconverted : undefined) };
}

/** Field names as the API shows them, by the counters' amount prefixes. */
const amountFields: Readonly<Record<string, string>> = { amount: 'amount', weighted: 'weightedAmount', wonAmount: 'wonAmount', lostAmount: 'lostAmount' };
const currencyOf = (context: ReportContext) => ({
  currency: context.settings.currency,
  unconverted: Object.entries(context.unconverted).map(([key, amount]) => {
    const [prefix, currency] = key.split(' ') as [string, string];
    return { field: amountFields[prefix] ?? prefix, currency, amount: Math.round(amount * 100) / 100 };
  }),
});
const sum = (values: readonly Record<string, number>[], name: string) => values.reduce((total, value) => total + (value[name] ?? 0), 0);

/** Open deals, their amount and their probability-weighted amount, from a set of counters. */
function openDeals(context: ReportContext, values: readonly Record<string, number>[], total?: 'total') {
  return {
    openDeals: sum(values, 'openDeals'),
    amount: values.reduce((money, value) => money.add(value, 'amount'), context.money(total)).amount,
    weightedAmount: values.reduce((money, value) => money.add(value, 'weighted'), context.money(total)).amount,
  };
}

const groupBy = <T>(entries: Iterable<T>, keyOf: (entry: T) => string) => {
  const groups = new Map<string, T[]>();
  for (const entry of entries) groups.set(keyOf(entry), [...(groups.get(keyOf(entry)) ?? []), entry]);
  return groups;
};

/** Every team (few: one partition) and its members. */
async function allTeams(deps: Pick<CoreDependencies, 'table'>) {
  const teams: { id: string; name: string; memberIds: readonly string[] }[] = [];
  for (const query of partitionQueries(recordsByType.query({ type: 'team' }))) await forEachQueryPage(deps.table, query, 100, (items) => void teams.push(...teamsOfItems(items)));
  return teams;
}

/** The pipeline a report is asked about: an unknown one is a 400, since a report of zeros for a typo would read as a fact. */
async function requirePipeline(deps: CoreDependencies, pipelineId: string): Promise<Pipeline> {
  const pipeline = await findPipeline(deps, pipelineId);
  if (!pipeline) throw new ValidationError(`No pipeline ${pipelineId}.`, [{ field: 'query.pipelineId', message: 'no such pipeline (GET /v1/pipelines)' }]);
  return pipeline;
}

/** The owner a report is asked about, when one is: an unknown one is a 400, as everywhere an ownerId is taken. */
async function requireOwner(deps: RecordDependencies, ownerId: string | undefined): Promise<void> {
  if (ownerId && !(await deps.isOwner(ownerId))) throw new ValidationError(`No owner ${ownerId}.`, [{ field: 'query.ownerId', message: 'no such owner (GET /v1/owners)' }]);
}

/** Open deals per stage of one pipeline, per owner and per team (an owner in two teams counts in both). */
export async function pipelineReport(deps: CoreDependencies, pipelineId: string, actor: Actor) {
  const context = await reportContext(deps, actor, 'pipeline');
  const pipeline = await requirePipeline(deps, pipelineId);
  const counters = await readCounters(deps, reports.pipeline, [pipelineId]);
  const cells = [...counters].map(([bucket, values]) => ({ stageId: bucket.slice(0, bucket.indexOf('#')), ownerId: bucket.slice(bucket.indexOf('#') + 1), values }));
  const byStage = groupBy(cells, (cell) => cell.stageId);
  const known = new Set(pipeline.stages.map((stage) => stage.id));
  // A stage removed while deals were still counted in it stays visible until they move.
  const stages = [...pipeline.stages.filter((stage) => stage.kind === 'open'), ...[...byStage.keys()].filter((id) => !known.has(id)).map((id) => ({ id, name: id, probability: 0, kind: 'open' as const }))];
  const stageRows = (subset: typeof cells) => stages.map((stage) => ({ stageId: stage.id, name: stage.name, ...openDeals(context, subset.filter((cell) => cell.stageId === stage.id).map((cell) => cell.values)) }));
  const byOwner = groupBy(cells, (cell) => cell.ownerId);
  const teams = await allTeams(deps);
  return {
    pipelineId,
    stages: stageRows(cells),
    // Unowned deals last.
    owners: [...byOwner].sort(([a], [b]) => Number(a === NO_OWNER) - Number(b === NO_OWNER) || (a < b ? -1 : a > b ? 1 : 0)).map(([ownerId, owned]) => ({ ownerId: ownerId === NO_OWNER ? null : ownerId, ...openDeals(context, owned.map((cell) => cell.values)), stages: stageRows(owned) })),
    teams: teams.map((team) => ({ teamId: team.id, name: team.name, ...openDeals(context, cells.filter((cell) => team.memberIds.includes(cell.ownerId)).map((cell) => cell.values)) })),
    total: openDeals(context, cells.map((cell) => cell.values), 'total'),
    ...currencyOf(context),
  };
}

const monthIndex = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
const dayIndex = (day: string) => Math.round(Date.parse(`${day}T00:00:00.000Z`) / 86_400_000);

/** Every month from `from` to `to` (`2026-01`), in order, once the range is known to be short. */
function monthsBetween(from: string, to: string): string[] {
  return Array.from({ length: monthIndex(to) - monthIndex(from) + 1 }, (_, offset) => {
    const index = monthIndex(from) + offset;
    return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
  });
}

/** Every `stepDays`-th day from `from` to `to` (`2026-11-30`), in order, once the range is known to be short. */
function daysBetween(from: string, to: string, stepDays: number): string[] {
  return Array.from({ length: Math.floor((dayIndex(to) - dayIndex(from)) / stepDays) + 1 }, (_, offset) => new Date((dayIndex(from) + offset * stepDays) * 86_400_000).toISOString().slice(0, 10));
}

/** `count` months ending with this one, or this calendar year: what a report covers unless asked otherwise. */
function monthsUpTo(now: Date, count: number): { from: string; to: string } {
  const to = now.toISOString().slice(0, 7);
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (count - 1), 1));
  return { from: start.toISOString().slice(0, 7), to };
}
const thisYear = (now: Date) => ({ from: `${now.getUTCFullYear()}-01`, to: `${now.getUTCFullYear()}-12` });

interface Range {
  readonly from?: string;
  readonly to?: string;
}
/** The range asked for, the missing ends from the default one. */
const rangeOr = (range: Range, fallback: { from: string; to: string }) => ({ from: range.from ?? fallback.from, to: range.to ?? fallback.to });

export const MAX_REPORT_MONTHS = 36;
export const MAX_REPORT_DAYS = { day: 92, week: 371 } as const;

/** Checks a range by arithmetic, before any list of its periods is made. */
function requireRange(from: string, to: string, unit: 'months' | 'days', most: number): void {
  if (from > to) throw new ValidationError('from must not be after to.', [{ field: 'query.from', message: `after to (${to})` }]);
  const count = unit === 'months' ? monthIndex(to) - monthIndex(from) + 1 : dayIndex(to) - dayIndex(from) + 1;
  if (count > most) throw new ValidationError(`A report covers at most ${most} ${unit}.`, [{ field: 'query.to', message: `at most ${most} ${unit} after from` }]);
}

/** `<month>#<pipeline>#<owner>` buckets of a month range, optionally of one pipeline and one owner, grouped by month. */
function byMonth(counters: Counters, only: { readonly pipelineId?: string; readonly ownerId?: string }): Map<string, Record<string, number>[]> {
  const rows = [...counters].map(([bucket, values]) => {
    const [month, pipeline] = bucket.split('#') as [string, string];
    return { month, pipeline, owner: bucket.slice(month.length + pipeline.length + 2), values };
  });
  const kept = rows.filter((row) => (!only.pipelineId || row.pipeline === only.pipelineId) && (!only.ownerId || row.owner === only.ownerId));
  return new Map([...groupBy(kept, (row) => row.month)].map(([month, group]) => [month, group.map((row) => row.values)]));
}

/** Open deals by expected close month (weighted by probability), with what was won in each month and in all of them to date. */
export async function forecastReport(deps: RecordDependencies, query: Range & { readonly pipelineId?: string; readonly ownerId?: string }, actor: Actor) {
  const context = await reportContext(deps, actor, 'forecast');
  if (query.pipelineId) await requirePipeline(deps, query.pipelineId);
  await requireOwner(deps, query.ownerId);
  const range = { ...query, ...rangeOr(query, thisYear(deps.clock.now())) };
  requireRange(range.from, range.to, 'months', MAX_REPORT_MONTHS);
  const months = monthsBetween(range.from, range.to);
  const [open, undated, closed] = await Promise.all([
    readCounters(deps, reports.forecast, [], range),
    readCounters(deps, reports.forecast, [], { from: 'none', to: 'none' }),
    readCounters(deps, reports.closed, [], range),
  ]);
  const openByMonth = byMonth(open, range);
  const closedByMonth = byMonth(closed, range);
  const rows = months.map((month) => {
    const won = closedByMonth.get(month) ?? [];
    return { month, ...openDeals(context, openByMonth.get(month) ?? []), wonDeals: sum(won, 'wonDeals'), wonAmount: won.reduce((money, value) => money.add(value, 'wonAmount'), context.money()).amount };
  });
  const now = deps.clock.now().toISOString().slice(0, 7);
  const toDate = rows.filter((row) => row.month <= now);
  // The range's totals, for what they could not convert.
  openDeals(context, [...openByMonth.values()].flat(), 'total');
  [...closedByMonth.values()].flat().reduce((money, value) => money.add(value, 'wonAmount'), context.money('total'));
  return {
    from: range.from,
    to: range.to,
    ...(range.pipelineId ? { pipelineId: range.pipelineId } : {}),
    ...(range.ownerId ? { ownerId: range.ownerId } : {}),
    months: rows,
    wonToDate: { wonDeals: toDate.reduce((total, row) => total + row.wonDeals, 0), wonAmount: Math.round(toDate.reduce((total, row) => total + row.wonAmount, 0) * 100) / 100 },
    withoutCloseDate: openDeals(context, [...(byMonth(undated, range).get('none') ?? [])], 'total'),
    ...currencyOf(context),
  };
}

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);
const days = (seconds: number, count: number) => (count === 0 ? null : Math.round((seconds / count / 86_400) * 10) / 10);

/** Won and lost deals per month they closed: counts, amounts, win rate, days to close; and the time deals spent in each stage. */
export async function winRateReport(deps: RecordDependencies, query: Range & { readonly pipelineId?: string; readonly ownerId?: string }, actor: Actor) {
  const context = await reportContext(deps, actor, 'win rate');
  // Stage times are of one pipeline: the one asked about, or the default one.
  const pipeline = query.pipelineId ? await requirePipeline(deps, query.pipelineId) : await findPipeline(deps, DEFAULT_PIPELINE_ID);
  await requireOwner(deps, query.ownerId);
  const range = { ...query, ...rangeOr(query, monthsUpTo(deps.clock.now(), 12)) };
  requireRange(range.from, range.to, 'months', MAX_REPORT_MONTHS);
  const months = monthsBetween(range.from, range.to);
  const stagePipelineId = range.pipelineId ?? DEFAULT_PIPELINE_ID;
  const [closed, stageTime] = await Promise.all([readCounters(deps, reports.closed, [], range), readCounters(deps, reports.stageTime, [stagePipelineId], range)]);
  const closedByMonth = byMonth(closed, range);
  const outcome = (values: readonly Record<string, number>[], total?: 'total') => {
    const won = sum(values, 'wonDeals');
    const lost = sum(values, 'lostDeals');
    return {
      wonDeals: won,
      lostDeals: lost,
      wonAmount: values.reduce((money, value) => money.add(value, 'wonAmount'), context.money(total)).amount,
      lostAmount: values.reduce((money, value) => money.add(value, 'lostAmount'), context.money(total)).amount,
      winRate: ratio(won, won + lost),
      averageDaysToWin: days(sum(values, 'wonSeconds'), won),
      averageDaysToLose: days(sum(values, 'lostSeconds'), lost),
    };
  };
  const byStage = groupBy([...stageTime], ([bucket]) => bucket.slice(bucket.indexOf('#') + 1));
  const stageName = new Map(pipeline?.stages.map((stage) => [stage.id, stage.name]) ?? []);
  const stageOrder = [...(pipeline?.stages.map((stage) => stage.id) ?? []), ...[...byStage.keys()].filter((id) => !stageName.has(id))];
  return {
    from: range.from,
    to: range.to,
    ...(range.pipelineId ? { pipelineId: range.pipelineId } : {}),
    ...(range.ownerId ? { ownerId: range.ownerId } : {}),
    months: months.map((month) => ({ month, ...outcome(closedByMonth.get(month) ?? []) })),
    total: outcome([...closedByMonth.values()].flat(), 'total'),
    stageTimes: {
      pipelineId: stagePipelineId,
      stages: stageOrder
        .filter((id) => byStage.has(id))
        .map((stageId) => {
          const values = (byStage.get(stageId) ?? []).map(([, value]) => value);
          return { stageId, name: stageName.get(stageId) ?? stageId, exits: sum(values, 'exits'), averageDaysInStage: days(sum(values, 'seconds'), sum(values, 'exits')) };
        }),
    },
    ...currencyOf(context),
  };
}

export type ActivityInterval = 'day' | 'week';

/** Calls, meetings, emails, notes and tasks logged, and tasks done, per owner per day or week. */
export async function activityReport(deps: RecordDependencies, query: Range & { readonly interval: ActivityInterval; readonly ownerId?: string }, actor: Actor) {
  await reportContext(deps, actor, 'activity');
  await requireOwner(deps, query.ownerId);
  const today = deps.clock.now();
  // By default the last 4 weeks: this one and the 3 before it (by day: the last 28 days).
  const defaultFrom = query.interval === 'week' ? weekOf(new Date(today.getTime() - 21 * 86_400_000).toISOString()) : new Date(today.getTime() - 27 * 86_400_000).toISOString().slice(0, 10);
  const range = { ...query, ...rangeOr(query, { from: defaultFrom, to: today.toISOString().slice(0, 10) }) };
  requireRange(range.from, range.to, 'days', MAX_REPORT_DAYS[range.interval]);
  // A week is reported by its Monday: the first period is the Monday of the week `from` falls in.
  const first = range.interval === 'week' ? weekOf(range.from) : range.from;
  const periods = daysBetween(first, range.to, range.interval === 'week' ? 7 : 1);
  const counters = await readCounters(deps, reports.activity, [range.interval.toUpperCase()], { from: first, to: range.to });
  const rows = [...counters]
    .map(([bucket, values]) => ({ period: bucket.slice(0, 10), ownerId: bucket.slice(11), values }))
    .filter((row) => !range.ownerId || row.ownerId === range.ownerId);
  const counts = (values: readonly Record<string, number>[]) => ({ ...Object.fromEntries(activityKinds.map((kind) => [`${kind}s`, sum(values, kind)])), tasksDone: sum(values, 'tasksDone') });
  const owners = [...new Set(rows.map((row) => row.ownerId))].sort();
  return {
    // A week is named by its Monday: the report starts there.
    from: first,
    to: range.to,
    interval: range.interval,
    periods: periods.map((period) => ({
      period,
      owners: owners.map((ownerId) => ({ ownerId: ownerId === NO_OWNER ? null : ownerId, ...counts(rows.filter((row) => row.period === period && row.ownerId === ownerId).map((row) => row.values)) })),
    })),
    owners: owners.map((ownerId) => ({ ownerId: ownerId === NO_OWNER ? null : ownerId, ...counts(rows.filter((row) => row.ownerId === ownerId).map((row) => row.values)) })),
  };
}

/** Contacts per lifecycle stage now, and the moves between stages per month. */
export async function funnelReport(deps: CoreDependencies, query: Range, actor: Actor) {
  await reportContext(deps, actor, 'funnel');
  const range = rangeOr(query, monthsUpTo(deps.clock.now(), 12));
  requireRange(range.from, range.to, 'months', MAX_REPORT_MONTHS);
  const months = monthsBetween(range.from, range.to);
  const [now, moves] = await Promise.all([readCounters(deps, reports.lifecycle, []), readCounters(deps, reports.lifecycleMoves, [], range)]);
  const moveRows = [...moves].map(([bucket, values]) => {
    const [month, from, to] = bucket.split('#') as [string, string, string];
    return { month, from, to, contacts: values.contacts ?? 0 };
  });
  const rank = (stage: string) => (lifecycleStages as readonly string[]).indexOf(stage);
  return {
    from: range.from,
    to: range.to,
    stages: lifecycleStages.map((stage) => ({ stage, contacts: now.get(stage)?.contacts ?? 0 })),
    months: months.map((month) => ({
      month,
      moves: moveRows
        .filter((row) => row.month === month && row.contacts !== 0)
        .sort((a, b) => rank(a.from) - rank(b.from) || rank(a.to) - rank(b.to))
        .map(({ from, to, contacts }) => ({ from, to, contacts })),
      reached: lifecycleStages.map((stage) => ({ stage, contacts: moveRows.filter((row) => row.month === month && row.to === stage && rank(row.to) > rank(row.from)).reduce((total, row) => total + row.contacts, 0) })),
    })),
  };
}

/** Emails per sequence, workflow and the API, and per saved template (by the month they were sent): sent, delivered, bounced, rejected, complained, replied, unsubscribed, and the rates. */
export async function emailReport(deps: CoreDependencies, query: Range, actor: Actor) {
  await reportContext(deps, actor, 'email');
  const range = rangeOr(query, monthsUpTo(deps.clock.now(), 12));
  requireRange(range.from, range.to, 'months', MAX_REPORT_MONTHS);
  const months = monthsBetween(range.from, range.to);
  const [counters, templateCounters] = await Promise.all([readCounters(deps, reports.email, [], range), readCounters(deps, reports.email, [EMAIL_TEMPLATE_SCOPE], range)]);
  const bySource = groupBy([...counters], ([bucket]) => bucket.slice(bucket.indexOf('#') + 1));
  const counts = (values: readonly Record<string, number>[]) => {
    const sent = sum(values, 'sent');
    return {
      sent,
      delivered: sum(values, 'delivered'),
      bounced: sum(values, 'bounced'),
      rejected: sum(values, 'rejected'),
      complained: sum(values, 'complained'),
      replied: sum(values, 'replied'),
      unsubscribed: sum(values, 'unsubscribed'),
      deliveryRate: ratio(sum(values, 'delivered'), sent),
      replyRate: ratio(sum(values, 'replied'), sent),
      unsubscribeRate: ratio(sum(values, 'unsubscribed'), sent),
    };
  };
  const sources = [...bySource]
    .map(([source, entries]) => {
      const [kind, id] = [source.slice(0, source.indexOf('#')), source.slice(source.indexOf('#') + 1)];
      return { kind, id: id === NO_OWNER ? null : id, ...counts(entries.map(([, values]) => values)) };
    })
    .sort((a, b) => b.sent - a.sent || (a.kind + (a.id ?? '') < b.kind + (b.id ?? '') ? -1 : 1));
  const templates = [...groupBy([...templateCounters], ([bucket]) => bucket.slice(bucket.indexOf('#') + 1))]
    .map(([templateId, entries]) => ({ templateId, ...counts(entries.map(([, values]) => values)) }))
    .sort((a, b) => b.sent - a.sent || (a.templateId < b.templateId ? -1 : 1));
  return { from: range.from, to: range.to, sources, templates, total: counts([...counters.values()]) };
}
