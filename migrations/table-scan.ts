import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../adapters/config';
import type { Item } from '../domain/shared/table-port';

/**
 * A whole-table read for data migrations, and nothing else. Request code may never Scan
 * (the app's DynamoDB client refuses it, and test/architecture.test.ts checks domain,
 * adapters and functions); a backfill that must visit every item of a kind that has no
 * list of its own (audit entries of records deleted long ago) can only Scan. It runs
 * offline, once per migration, with its own client, in parallel segments.
 */
export interface TableScan {
  /** Calls `visit` with every page of items, segments in parallel; resolves when all are read. */
  forEachPage(visit: (items: Item[]) => Promise<void>): Promise<void>;
}

const SEGMENTS = 4;

export function tableScan(client: DynamoDBDocumentClient, tableName: string, segments = SEGMENTS): TableScan {
  return {
    async forEachPage(visit) {
      await Promise.all(
        Array.from({ length: segments }, async (_, segment) => {
          let startKey: Record<string, unknown> | undefined;
          do {
            const page = await client.send(new ScanCommand({ TableName: tableName, Segment: segment, TotalSegments: segments, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
            await visit((page.Items ?? []) as Item[]);
            startKey = page.LastEvaluatedKey;
          } while (startKey);
        }),
      );
    },
  };
}

/** The scanning client: the app's settings, without the app client's Scan guard. */
export function scanningClient(config: Pick<Config, 'AWS_REGION' | 'DYNAMODB_ENDPOINT'>): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.AWS_REGION,
    ...(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
