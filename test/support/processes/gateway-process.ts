import { deployedHttpFunctions, startGateway } from '../../../local/gateway';
import { useLocalAwsEnvironment } from '../../../local/local-environment';
import { createLocalJwtAuthorizer, loadOrCreateSigningKey } from '../../../local/local-jwt';

/**
 * The local gateway in a process of its own, for tests that kill it mid-request: the
 * deployed HTTP functions against the table named in TABLE_NAME, each with the timeout
 * in FUNCTION_TIMEOUT_SECONDS (an Idempotency-Key stays in progress that long after a crash).
 * Prints `listening <url>` once it serves.
 */
const { TABLE_NAME, DYNAMODB_ENDPOINT, SIGNING_KEY_FILE, FUNCTION_TIMEOUT_SECONDS } = process.env;
if (!TABLE_NAME || !DYNAMODB_ENDPOINT || !SIGNING_KEY_FILE) throw new Error('TABLE_NAME, DYNAMODB_ENDPOINT and SIGNING_KEY_FILE are required');
useLocalAwsEnvironment({ tableName: TABLE_NAME, dynamodbEndpoint: DYNAMODB_ENDPOINT });
const timeoutSeconds = Number(FUNCTION_TIMEOUT_SECONDS ?? 29);
const functions = Object.fromEntries(Object.entries(deployedHttpFunctions()).map(([name, fn]) => [name, { ...fn, timeoutSeconds }]));
const gateway = await startGateway({ port: 0, functions, authorizer: await createLocalJwtAuthorizer(await loadOrCreateSigningKey(SIGNING_KEY_FILE)) });
process.stdout.write(`listening ${gateway.url}\n`);
