import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config';
import { attachCapacityMeter, capacityMeterEnabled } from './capacity-meter';

/**
 * Scan reads the whole table: on a request path it is a latency and cost bug that
 * only shows at scale. The shared client refuses it outright so no code path can
 * quietly grow one; tests exercise every route through this client.
 */
export class ScanForbiddenError extends Error {
  constructor() {
    super('Scan is not allowed on the CRM table: add a named access pattern (docs/data-model.md).');
    this.name = 'ScanForbiddenError';
  }
}

export function createDynamoDbClient(config: Pick<Config, 'AWS_REGION' | 'DYNAMODB_ENDPOINT'>): DynamoDBClient {
  const client = new DynamoDBClient({
    region: config.AWS_REGION,
    ...(config.DYNAMODB_ENDPOINT
      ? { endpoint: config.DYNAMODB_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ScanCommand') throw new ScanForbiddenError();
      return next(args);
    },
    { step: 'initialize', name: 'forbidScan' },
  );
  if (capacityMeterEnabled()) attachCapacityMeter(client); // benchmarks only; off by default
  return client;
}

export function createDocumentClient(config: Pick<Config, 'AWS_REGION' | 'DYNAMODB_ENDPOINT'>, client = createDynamoDbClient(config)): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
