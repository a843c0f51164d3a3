import { createDocumentClient } from '../adapters/dynamodb/document-client';
import { DynamoDbCrmTable } from '../adapters/dynamodb/dynamodb-crm-table';
import { systemClock } from '../adapters/system-clock';
import { migrations } from '../migrations/migrations';
import { runMigrations } from '../migrations/run-migrations';
import { scanningClient, tableScan } from '../migrations/table-scan';
import { ensureTable, type TableOptions } from './create-table';

export interface PreparedTable {
  /** Migrations this call applied (none when the table was up to date). */
  readonly applied: readonly string[];
}

/**
 * A local CRM table ready for the handlers, as a deployment is after `cdk deploy` and
 * `npm run migrate`: created (or given missing indexes) from the stack's description,
 * and with every data migration applied. Safe on every start.
 */
export async function prepareTable({ tableName, endpoint, log = () => undefined, ...options }: { tableName: string; endpoint: string; log?: (message: string) => void } & TableOptions): Promise<PreparedTable> {
  const settings = { AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: endpoint };
  const client = createDocumentClient(settings);
  await ensureTable(client, tableName, options);
  const run = await runMigrations({ table: new DynamoDbCrmTable(client, tableName), clock: systemClock, scan: tableScan(scanningClient(settings), tableName) }, migrations, log);
  return { applied: run.applied };
}
