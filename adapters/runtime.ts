import { ulid } from 'ulid';
import { recordDependenciesOf, type RecordDependencies } from '../domain/records/record-dependencies';
import { keyLayoutOf } from '../domain/shared/key-layout';
import type { IdGenerator } from '../domain/shared/table-port';
import { loadConfig, type Config } from './config';
import { createDocumentClient, createDynamoDbClient } from './dynamodb/document-client';
import { DynamoDbCrmTable } from './dynamodb/dynamodb-crm-table';
import { systemClock } from './system-clock';

/**
 * The composition root: the concrete adapters every handler shares, built once per
 * Lambda container (SDK clients are reused across invocations).
 */
export interface CrmRuntime extends RecordDependencies {
  readonly config: Config;
  readonly dynamoDbClient: ReturnType<typeof createDynamoDbClient>;
}

export const ulidGenerator: IdGenerator = { next: () => ulid() };

export function createRuntime(config: Config = loadConfig()): CrmRuntime {
  const dynamoDbClient = createDynamoDbClient(config);
  const table = new DynamoDbCrmTable(createDocumentClient(config, dynamoDbClient), config.TABLE_NAME);
  return { ...recordDependenciesOf({ table, clock: systemClock, ids: ulidGenerator, layout: keyLayoutOf(table) }), config, dynamoDbClient };
}
