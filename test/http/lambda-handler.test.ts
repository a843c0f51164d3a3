import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../adapters/logger';
import { lambdaHandler } from '../../functions/lambda-handler';
import { createLambdaContext } from '../../local/lambda-context';

afterEach(() => vi.restoreAllMocks());

describe('the one middy stack', () => {
  it('logs an error the work throws, with the invocation, before its caller retries it', async () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const failing = lambdaHandler(async (event: { n: number }) => {
      if (event.n > 1) throw new Error('the table refused the write');
      return event.n;
    });
    const context = createLambdaContext({ functionName: 'importStep', memoryMb: 1024, timeoutSeconds: 900 });

    await expect(failing({ n: 1 }, context)).resolves.toBe(1);
    expect(logged).not.toHaveBeenCalled();

    await expect(failing({ n: 2 }, context)).rejects.toThrow('the table refused the write');
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged).toHaveBeenCalledWith('invocation failed; its caller retries or gives up', expect.objectContaining({ message: 'the table refused the write' }));
  });
});
