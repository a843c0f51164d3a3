import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's DynamoDB Local listens (in memory, gone after the run). */
    dynamodbEndpoint: string;
  }
}

/** Starts one in-memory DynamoDB Local for the whole test run and stops it at teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamodb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  return () => dynamodb.stop();
}
