import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The cold-start baseline: a Lambda handler that only creates a DynamoDB client, as
 * every table-backed handler must. Bundled exactly like the real ones (cold-start.ts).
 */
export const client = new DynamoDBClient({});

export const handler = async () => ({ statusCode: 200 });
