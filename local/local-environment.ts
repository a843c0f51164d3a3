/**
 * Sets the environment the handler modules read through adapters/config.ts, as
 * Lambda would. Call it before the first request reaches the gateway: handlers
 * load (and cache) their config when they are first imported.
 */
export function useLocalAwsEnvironment({ tableName, dynamodbEndpoint }: { tableName: string; dynamodbEndpoint: string }): void {
  process.env.TABLE_NAME = tableName;
  process.env.DYNAMODB_ENDPOINT = dynamodbEndpoint;
  process.env.AWS_REGION = 'us-east-1';
  // Embedded-metric-format lines are for CloudWatch; locally they would only bury the logs.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // Dummy credentials so a developer's real AWS credentials are never picked up by a
  // local run; a session token left over from the shell would be sent along with them.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_SESSION_TOKEN;
}
