import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime, type CrmRuntime } from '../../adapters/runtime';
import { createRecord } from '../../domain/records/create-record';
import { dealModel } from '../../domain/records/deal';
import { recordChangeBetween } from '../../domain/records/record-change';
import { updateRecord } from '../../domain/records/update-record';
import { pipelineReport } from '../../domain/reports/read-reports';
import { keepReportsOf } from '../../domain/reports/report-keeper';
import { putReportSettings, readReportSettings } from '../../domain/reports/report-settings';
import { PreconditionFailedError } from '../../domain/shared/errors';
import type { Actor } from '../../domain/shared/actor';
import { createTestTable } from '../support/local-dynamodb';

/**
 * The report keeper on DynamoDB Local, fed changes by hand in the orders a stream consumer
 * can meet them: again (a retried batch), late (an older version after a newer one), and a
 * deletion twice. Each leaves the counters as one in-order delivery does.
 */

const admin: Actor = { type: 'user', id: 'report-admin', role: 'admin' };
let runtime: CrmRuntime;
beforeAll(async () => {
  const table = await createTestTable();
  runtime = createRuntime(loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' }));
});

const stages = async () => Object.fromEntries((await pipelineReport(runtime, 'default', admin)).stages.map((stage) => [stage.stageId, [stage.openDeals, stage.amount]]));

describe('the report keeper on the table', () => {
  it('counts each version once, whatever the order and however often it comes', async () => {
    const created = await createRecord(runtime, dealModel, { name: 'Twice', amount: 100 }, admin);
    const moved = await updateRecord(runtime, dealModel, created.id, { stageId: 'contract_sent' }, { actor: admin });
    const first = recordChangeBetween('deal', undefined, created);
    const second = recordChangeBetween('deal', created, moved);

    expect(await keepReportsOf(runtime, second)).toBe(true);
    // The older version, late: nothing.
    expect(await keepReportsOf(runtime, first)).toBe(false);
    // Both again, as a retried batch would bring them: nothing.
    expect(await keepReportsOf(runtime, first)).toBe(false);
    expect(await keepReportsOf(runtime, second)).toBe(false);
    expect(await stages()).toMatchObject({ appointment_scheduled: [0, 0], contract_sent: [1, 100] });

    // Concurrent deliveries of the same change: one counts it.
    const third = recordChangeBetween('deal', moved, { ...moved, amount: 250, version: 3 });
    expect((await Promise.all(Array.from({ length: 5 }, () => keepReportsOf(runtime, third)))).filter(Boolean)).toHaveLength(1);
    expect(await stages()).toMatchObject({ contract_sent: [1, 250] });

    const deleted = recordChangeBetween('deal', { ...moved, amount: 250, version: 3 }, undefined);
    expect(await keepReportsOf(runtime, deleted)).toBe(true);
    expect(await keepReportsOf(runtime, deleted)).toBe(false);
    expect(await keepReportsOf(runtime, third)).toBe(false);
    expect(await stages()).toMatchObject({ appointment_scheduled: [0, 0], contract_sent: [0, 0] });
  });

  it('creates the settings with If-Match of the defaults (version 0) and refuses a stale one', async () => {
    expect(await readReportSettings(runtime, admin)).toMatchObject({ currency: 'USD', version: 0 });
    await expect(putReportSettings(runtime, { currency: 'EUR', rates: {} }, admin, [5])).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(await putReportSettings(runtime, { currency: 'EUR', rates: { USD: 0.92 } }, admin, [0])).toMatchObject({ currency: 'EUR', version: 1 });
    await expect(putReportSettings(runtime, { currency: 'GBP', rates: {} }, admin, [0])).rejects.toBeInstanceOf(PreconditionFailedError);
  });
});
