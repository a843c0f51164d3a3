import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../adapters/logger';
import { createLambdaContext } from '../../local/lambda-context';
import { createTestTable } from '../support/local-dynamodb';

let handler: (event: unknown, context: ReturnType<typeof createLambdaContext>) => Promise<unknown>;
beforeAll(async () => {
  // The handler builds its runtime when loaded, from the environment, as in Lambda.
  const table = await createTestTable();
  vi.stubEnv('TABLE_NAME', table.tableName);
  vi.stubEnv('DYNAMODB_ENDPOINT', table.endpoint);
  ({ handler } = await import('../../functions/import-step'));
});
afterEach(() => vi.restoreAllMocks());

describe('the import step handler', () => {
  it('says why a step failed before its state machine retries it, with the error named but not its cause', async () => {
    const warned = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const context = createLambdaContext({ functionName: 'importStep', memoryMb: 1024, timeoutSeconds: 900 });

    await expect(handler({ action: 'part', runId: 'no-such-import', part: 2 }, context)).rejects.toThrow();

    expect(warned).toHaveBeenCalledTimes(1);
    const [message, fields] = warned.mock.calls[0]! as unknown as [string, { part: number; error: { name: string; message: string } }];
    expect(message).toBe('import step failed; the state machine retries it');
    expect(fields.part).toBe(2);
    expect(Object.keys(fields.error)).toEqual(['name', 'message']);
    expect(fields.error.name).toMatch(/\w+/);
  });
});
