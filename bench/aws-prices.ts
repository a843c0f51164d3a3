/**
 * The prices the cost model multiplies by: AWS list prices, us-east-1, in USD, as
 * published on each service's pricing page as of August 2025 (DynamoDB on-demand
 * after its 1 November 2024 reduction; Lambda billing the INIT phase since
 * 1 August 2025). Prices change: check them, and override any of them with
 * `npm run cost -- --price name=value` or `--prices file.json`.
 * Free tiers are left out on purpose: they are per account, and most accounts
 * spend them on something else.
 */
export const defaultPrices = {
  /** https://aws.amazon.com/api-gateway/pricing/ — HTTP API, first 300 million requests a month (each 512 KB counts as one). */
  httpApiPerMillionRequests: 1.0,
  /** https://aws.amazon.com/lambda/pricing/ — per invocation, any architecture. */
  lambdaPerMillionRequests: 0.2,
  /** https://aws.amazon.com/lambda/pricing/ — arm64, first 6 billion GB-seconds a month; INIT time included since August 2025. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — Standard table class. */
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
  dynamoDbStoragePerGbMonth: 0.25,
  /** Continuous backups (point-in-time recovery), which the stack turns on; billed on table size. */
  dynamoDbPitrPerGbMonth: 0.2,
  /** https://aws.amazon.com/cloudwatch/pricing/ — Standard log class. */
  cloudWatchLogsIngestionPerGb: 0.5,
  cloudWatchLogsStoragePerGbMonth: 0.03,
  /** https://aws.amazon.com/ses/pricing/ — outbound email, per 1,000 messages (attachments and dedicated IPs not used). */
  sesPerThousandEmails: 0.1,
  /** https://aws.amazon.com/step-functions/pricing/ — Standard workflows, per 1,000 state transitions. */
  stepFunctionsPerThousandTransitions: 0.025,
  /** https://aws.amazon.com/eventbridge/pricing/ — custom events, each 64 KB chunk of an entry one event. */
  eventBridgePerMillionCustomEvents: 1.0,
  /** The same page: archiving, per GB of events archived (the stack's archive, on by default). */
  eventBridgeArchivePerGb: 0.1,
  /** https://aws.amazon.com/sqs/pricing/ — standard queues, per million requests (each 64 KB of a request one request). */
  sqsPerMillionRequests: 0.4,
  /** https://aws.amazon.com/ses/pricing/ — inbound email, per 1,000 messages, and per 1,000 incoming 256 KB chunks. */
  sesInboundPerThousandEmails: 0.1,
  sesInboundPerThousandChunks: 0.09,
  /** https://aws.amazon.com/s3/pricing/ — S3 Standard: PUT per 1,000 requests, GET per 1,000, storage per GB-month. */
  s3PerThousandPuts: 0.005,
  s3PerThousandGets: 0.0004,
  s3StoragePerGbMonth: 0.023,
} as const;

export type Prices = { -readonly [name in keyof typeof defaultPrices]: number };
export type PriceName = keyof Prices;
