import { parseArgs } from 'node:util';
import { loadConfig } from '../adapters/config';
import { createRuntime } from '../adapters/runtime';
import { migrations } from './migrations';
import { runMigrations } from './run-migrations';
import { scanningClient, tableScan } from './table-scan';

/**
 * `npm run migrate -- --table <TableName output of the stack>` applies pending data
 * migrations to a deployed table (AWS credentials and region from the environment),
 * or with `--endpoint http://127.0.0.1:<port>` to a local one. Safe to run again.
 */
const { values } = parseArgs({ options: { table: { type: 'string' }, endpoint: { type: 'string' } }, strict: true });
if (!values.table) {
  console.error('usage: npm run migrate -- --table <table name> [--endpoint <DynamoDB endpoint>]');
  process.exit(2);
}
const config = loadConfig({ ...process.env, TABLE_NAME: values.table, ...(values.endpoint ? { DYNAMODB_ENDPOINT: values.endpoint } : {}) });
const runtime = createRuntime(config);
const run = await runMigrations({ ...runtime, scan: tableScan(scanningClient(config), config.TABLE_NAME) }, migrations, (message) => console.log(message));
console.log(`applied: ${run.applied.join(', ') || 'none'}; already applied: ${run.skipped.length}`);
