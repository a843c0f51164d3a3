import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { startLocalSes } from '../../local/ses-local';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's DynamoDB Local listens (in memory, gone after the run). */
    dynamodbEndpoint: string;
    /**
     * Where the run's local SES listens (`${sesEndpoint}/store` lists the mail). Every test
     * file sends to the same one, in parallel: find your own mail by its MessageId, and
     * never clear the store.
     */
    sesEndpoint: string;
  }
}

/** Starts one in-memory DynamoDB Local and one local SES for the whole test run, and stops them at teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamodb, ses] = await Promise.all([startDynamoDbLocal(), startLocalSes()]);
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  project.provide('sesEndpoint', ses.endpoint);
  return async () => {
    await Promise.all([dynamodb.stop(), ses.stop()]);
  };
}
