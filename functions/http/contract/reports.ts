import * as z from '../../../domain/shared/zod';
import { isoDate } from '../../../domain/shared/common-fields';
import { reportSettingsSchemas } from '../../../domain/reports/report-settings';
import { MAX_REPORT_DAYS, MAX_REPORT_MONTHS } from '../../../domain/reports/read-reports';
import { operation } from '../api-operation';

const month = z.string().check(z.regex(/^(?!0000)\d{4}-(0[1-9]|1[0-2])$/, 'a month such as 2026-11'));
const ownerFilter = z.optional(z.string().check(z.minLength(1), z.maxLength(128))).check(z.meta({ description: 'One owner (GET /v1/owners); everyone unless given.' }));
const pipelineId = z.string().check(z.minLength(1), z.maxLength(64));
const monthRange = {
  from: z.optional(month).check(z.meta({ description: 'First month (UTC), e.g. 2026-01.' })),
  to: z.optional(month).check(z.meta({ description: `Last month, at most ${MAX_REPORT_MONTHS} months after from.` })),
};
const amount = z.number().check(z.meta({ description: 'In the reporting currency, two decimals.' }));
const unconverted = z
  .array(z.object({ field: z.string(), currency: z.string(), amount: z.number() }))
  .check(z.meta({ description: "The report's totals in currencies without an exchange rate (PUT /v1/reports/settings), per field: left out of every amount above." }));
const openDeals = { openDeals: z.int(), amount, weightedAmount: amount.check(z.meta({ description: "Each deal's amount times its stage's probability." })) };
const stageRow = z.object({ stageId: z.string(), name: z.string(), ...openDeals });

export const reportOperations = {
  pipelineReport: operation({
    routeKey: 'GET /v1/reports/pipeline',
    operationId: 'pipelineReport',
    summary: 'Open deals of a pipeline per stage, per owner and per team: count, amount and weighted amount in the reporting currency',
    tag: 'Reports',
    query: z.strictObject({ pipelineId: z._default(pipelineId, 'default') }),
    success: {
      status: 200,
      description: 'The report',
      schema: () =>
        z
          .object({
            pipelineId: z.string(),
            stages: z.array(stageRow),
            owners: z.array(z.object({ ownerId: z.nullable(z.string()), ...openDeals, stages: z.array(stageRow) })),
            teams: z.array(z.object({ teamId: z.string(), name: z.string(), ...openDeals })),
            total: z.object(openDeals),
            currency: z.string(),
            unconverted,
          })
          .check(z.meta({ id: 'PipelineReport' })),
    },
  }),
  forecastReport: operation({
    routeKey: 'GET /v1/reports/forecast',
    operationId: 'forecastReport',
    summary: 'Open deals by expected close month (weighted by probability), with deals won per month and to date; this year unless from and to say otherwise',
    tag: 'Reports',
    query: z.strictObject({ ...monthRange, pipelineId: z.optional(pipelineId).check(z.meta({ description: 'One pipeline; all unless given.' })), ownerId: ownerFilter }),
    success: {
      status: 200,
      description: 'The report',
      schema: () =>
        z
          .object({
            from: z.string(),
            to: z.string(),
            pipelineId: z.optional(z.string()),
            ownerId: z.optional(z.string()),
            months: z.array(z.object({ month: z.string(), ...openDeals, wonDeals: z.int(), wonAmount: amount })),
            wonToDate: z.object({ wonDeals: z.int(), wonAmount: amount }),
            withoutCloseDate: z.object(openDeals),
            currency: z.string(),
            unconverted,
          })
          .check(z.meta({ id: 'ForecastReport' })),
    },
  }),
  winRateReport: operation({
    routeKey: 'GET /v1/reports/win-rate',
    operationId: 'winRateReport',
    summary: 'Deals won and lost per month they closed (counts, amounts, win rate, days to close) and the days deals spent in each stage; the last 12 months unless from and to say otherwise',
    tag: 'Reports',
    query: z.strictObject({ ...monthRange, pipelineId: z.optional(pipelineId).check(z.meta({ description: 'One pipeline; all unless given (stage times: the default pipeline).' })), ownerId: ownerFilter.check(z.meta({ description: 'One owner (won and lost; stage times are everyone\'s).' })) }),
    success: {
      status: 200,
      description: 'The report',
      schema: () => {
        const outcome = {
          wonDeals: z.int(),
          lostDeals: z.int(),
          wonAmount: amount,
          lostAmount: amount,
          winRate: z.nullable(z.number()).check(z.meta({ description: 'won / (won + lost), 0 to 1; null without closed deals.' })),
          averageDaysToWin: z.nullable(z.number()),
          averageDaysToLose: z.nullable(z.number()),
        };
        return z
          .object({
            from: z.string(),
            to: z.string(),
            pipelineId: z.optional(z.string()),
            ownerId: z.optional(z.string()),
            months: z.array(z.object({ month: z.string(), ...outcome })),
            total: z.object(outcome),
            stageTimes: z.object({ pipelineId: z.string(), stages: z.array(z.object({ stageId: z.string(), name: z.string(), exits: z.int(), averageDaysInStage: z.nullable(z.number()) })) }),
            currency: z.string(),
            unconverted,
          })
          .check(z.meta({ id: 'WinRateReport' }));
      },
    },
  }),
  activityReport: operation({
    routeKey: 'GET /v1/reports/activity',
    operationId: 'activityReport',
    summary: 'Calls, meetings, emails, notes and tasks logged, and tasks done, per owner per day or week (UTC); the last 4 weeks by week unless asked otherwise',
    tag: 'Reports',
    query: z.strictObject({
      from: z.optional(isoDate),
      to: z.optional(isoDate).check(z.meta({ description: `At most ${MAX_REPORT_DAYS.day} days after from by day, ${MAX_REPORT_DAYS.week} by week.` })),
      interval: z._default(z.enum(['day', 'week']), 'week').check(z.meta({ description: 'A week is named by its Monday.' })),
      ownerId: ownerFilter,
    }),
    success: {
      status: 200,
      description: 'The report',
      schema: () => {
        const counts = { ownerId: z.nullable(z.string()), notes: z.int(), tasks: z.int(), calls: z.int(), meetings: z.int(), emails: z.int(), tasksDone: z.int() };
        return z
          .object({ from: z.string(), to: z.string(), interval: z.enum(['day', 'week']), periods: z.array(z.object({ period: z.string(), owners: z.array(z.object(counts)) })), owners: z.array(z.object(counts)) })
          .check(z.meta({ id: 'ActivityReport' }));
      },
    },
  }),
  funnelReport: operation({
    routeKey: 'GET /v1/reports/funnel',
    operationId: 'funnelReport',
    summary: 'Contacts per lifecycle stage now, and per month the moves between stages and how many reached each stage; the last 12 months unless from and to say otherwise',
    tag: 'Reports',
    query: z.strictObject(monthRange),
    success: {
      status: 200,
      description: 'The report',
      schema: () => {
        const stageCount = z.object({ stage: z.string(), contacts: z.int() });
        return z
          .object({
            from: z.string(),
            to: z.string(),
            stages: z.array(stageCount),
            months: z.array(z.object({ month: z.string(), moves: z.array(z.object({ from: z.string(), to: z.string(), contacts: z.int() })), reached: z.array(stageCount) })),
          })
          .check(z.meta({ id: 'FunnelReport' }));
      },
    },
  }),
  emailReport: operation({
    routeKey: 'GET /v1/reports/email',
    operationId: 'emailReport',
    summary: 'Emails per sequence, workflow and the API, and per saved template, by the month they were sent: sent, delivered, bounced, rejected, complained, replied, unsubscribed; the last 12 months unless from and to say otherwise',
    tag: 'Reports',
    query: z.strictObject(monthRange),
    success: {
      status: 200,
      description: 'The report',
      schema: () => {
        const counts = {
          sent: z.int(),
          delivered: z.int(),
          bounced: z.int(),
          rejected: z.int(),
          complained: z.int(),
          replied: z.int(),
          unsubscribed: z.int().check(z.meta({ description: 'Recipients who followed the unsubscribe link of one of these emails.' })),
          deliveryRate: z.nullable(z.number()).check(z.meta({ description: 'delivered / sent, 0 to 1.' })),
          replyRate: z.nullable(z.number()).check(z.meta({ description: 'replied / sent, 0 to 1.' })),
          unsubscribeRate: z.nullable(z.number()).check(z.meta({ description: 'unsubscribed / sent, 0 to 1.' })),
        };
        return z
          .object({
            from: z.string(),
            to: z.string(),
            sources: z.array(z.object({ kind: z.enum(['sequence', 'workflow', 'api']), id: z.nullable(z.string()).check(z.meta({ description: 'The sequence or workflow; null for the API.' })), ...counts })),
            templates: z.array(z.object({ templateId: z.string().check(z.meta({ description: 'A saved template (/v1/email-templates); emails written without one are in no row here.' })), ...counts })),
            total: z.object(counts),
          })
          .check(z.meta({ id: 'EmailReport' }));
      },
    },
  }),
  getReportSettings: operation({
    routeKey: 'GET /v1/reports/settings',
    operationId: 'getReportSettings',
    summary: 'The reporting currency and exchange rates',
    tag: 'Reports',
    success: { status: 200, description: 'The settings, with their ETag', schema: () => reportSettingsSchemas().settings, etag: true },
  }),
  putReportSettings: operation({
    routeKey: 'PUT /v1/reports/settings',
    operationId: 'putReportSettings',
    summary: 'Set the reporting currency and exchange rates (admins); reports convert with them from then on',
    tag: 'Reports',
    body: () => reportSettingsSchemas().put,
    bodyExample: { currency: 'EUR', rates: { USD: 0.92, GBP: 1.17 } },
    adminOnly: true,
    conditional: true,
    success: { status: 200, description: 'The settings, with their new ETag', schema: () => reportSettingsSchemas().settings, etag: true },
  }),
};
