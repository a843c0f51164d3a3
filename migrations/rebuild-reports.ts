import { parseArgs } from 'node:util';
import { loadConfig } from '../adapters/config';
import { createRuntime } from '../adapters/runtime';
import { rebuildReports } from '../domain/reports/rebuild-reports';
import { reportItemPrefixes } from '../domain/shared/keys';
import { scanningClient, tableScan } from './table-scan';

/**
 * `npm run reports:rebuild -- --table <TableName output> [--endpoint <DynamoDB endpoint>]`
 * recomputes every record's share of the reports from the record and its timeline, and
 * mends the counters where they differ (safe while the CRM runs). `--from-scratch` first
 * deletes every counter and share (one offline Scan), then counts everything again: for
 * counters suspected wrong, and only while nothing writes (a share the keeper writes between
 * the wipe and the rebuild would outlive the counter it added to); reports read low until it ends.
 */
const { values } = parseArgs({ options: { table: { type: 'string' }, endpoint: { type: 'string' }, 'from-scratch': { type: 'boolean' } }, strict: true });
if (!values.table) {
  console.error('usage: npm run reports:rebuild -- --table <table name> [--endpoint <DynamoDB endpoint>] [--from-scratch]');
  process.exit(2);
}
const config = loadConfig({ ...process.env, TABLE_NAME: values.table, ...(values.endpoint ? { DYNAMODB_ENDPOINT: values.endpoint } : {}) });
const runtime = createRuntime(config);
if (values['from-scratch']) {
  let deleted = 0;
  await tableScan(scanningClient(config), config.TABLE_NAME).forEachPage(async (items) => {
    const reportItems = items.filter((item) => reportItemPrefixes.some((prefix) => item.pk.startsWith(prefix)));
    await runtime.table.deleteItems(reportItems.map(({ pk, sk }) => ({ pk, sk })));
    deleted += reportItems.length;
  });
  console.log(`deleted ${deleted} counter and share item(s)`);
}
const { records, mended } = await rebuildReports(runtime, (message) => console.log(message));
console.log(`${records} record(s) read, ${mended} share(s) mended`);
