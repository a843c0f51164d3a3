import { DynamoDbCrmTable } from '../adapters/dynamodb/dynamodb-crm-table';
import { systemClock } from '../adapters/system-clock';
import type { RecordChange } from '../domain/records/record-change';
import { keepReportsOf } from '../domain/reports/report-keeper';
import type { BenchEnvironment } from './bench-environment';
import { fixed, table } from './report';
import type { Summary } from './stats';
import { consumerWriteUnitsOf, measureStreamLag, writeUnitsOf } from './stream-lag';

/**
 * What reports cost on the write side: the write units the keeper adds to a deal's create
 * and stage move (its real calls, priced by the documented rules, next to the API's own), and
 * the lag from a write to the pipeline report showing it, through the real stream consumer.
 */

export interface ReportKeeping {
  readonly createWriteUnits: number;
  readonly keeperWriteUnitsOnCreate: number;
  readonly moveWriteUnits: number;
  readonly keeperWriteUnitsOnMove: number;
  /** Milliseconds from the 201 to the pipeline report counting the deal. */
  readonly lag: Summary;
}

export async function measureReportKeeping(env: BenchEnvironment, { lagSamples }: { readonly lagSamples: number }): Promise<ReportKeeping> {
  const table = new DynamoDbCrmTable(env.documentClient, env.tableName);
  const keep = (change: RecordChange) => keepReportsOf({ table, clock: systemClock }, change);

  let id = '';
  const body = { name: 'Bench deal', amount: 1200, currency: 'EUR', expectedCloseDate: '2026-12-15' };
  const createWriteUnits = await writeUnitsOf(async () => (id = (await env.api.call('POST', '/v1/deals', body, 201)).body.id));
  const { after: created, units: keeperWriteUnitsOnCreate } = await consumerWriteUnitsOf(table, 'deal', id, undefined, keep);
  const moveWriteUnits = await writeUnitsOf(() => env.api.call('PATCH', `/v1/deals/${id}`, { stageId: 'qualified_to_buy' }, 200));
  const { units: keeperWriteUnitsOnMove } = await consumerWriteUnitsOf(table, 'deal', id, created, keep);

  const openDeals = async () => (await env.api.call('GET', '/v1/reports/pipeline', undefined, 200)).body.total.openDeals as number;
  let expected = 0;
  const lag = await measureStreamLag(
    env,
    'reportKeeper',
    lagSamples,
    async () => {
      expected = (await openDeals()) + 1;
      await env.api.call('POST', '/v1/deals', { name: 'Lag probe', amount: 10 }, 201);
    },
    async () => (await openDeals()) >= expected,
  );
  return { createWriteUnits, keeperWriteUnitsOnCreate, moveWriteUnits, keeperWriteUnitsOnMove, lag };
}

export function reportKeepingTable(result: ReportKeeping): string {
  return table(
    'Report keeping: write units the keeper adds to a deal (documented rules) and the lag to the report',
    ['what', 'value'],
    [
      ['WCU of POST /v1/deals itself', fixed(result.createWriteUnits, 1)],
      ['WCU the keeper adds for the create', fixed(result.keeperWriteUnitsOnCreate, 1)],
      ['WCU of a stage move (PATCH) itself', fixed(result.moveWriteUnits, 1)],
      ['WCU the keeper adds for the stage move', fixed(result.keeperWriteUnitsOnMove, 1)],
      ['lag from 201 to the pipeline report, p50 (ms)', fixed(result.lag.p50, 0)],
      ['lag from 201 to the pipeline report, p99 (ms)', fixed(result.lag.p99, 0)],
    ],
    [
      'The keeper reads the share (1 RCU) and writes it with the changed counters in one transaction (2x per item): a create adds to the pipeline and forecast counters, a move also to the stage-time counter.',
      'Lag here is the local stream poller (every 200 ms) and the keeper; deployed, Lambda polls a stream shard about four times a second.',
    ],
  );
}
