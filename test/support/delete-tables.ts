import { afterAll } from 'vitest';
import { deleteTestTables } from './local-dynamodb';

// Registered before any hook of the file, so it runs after them all (after hooks run in reverse order): background work is stopped by then.
afterAll(deleteTestTables, 60_000);
