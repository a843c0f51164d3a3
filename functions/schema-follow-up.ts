import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { followSchemaChange } from '../domain/records/schema-follow-up';
import { createStreamHandler } from './stream/stream-handler';

const runtime = createRuntime();

/** Every changed pipeline or property definition: records follow it (deal probabilities, values a definition no longer allows). */
export const handler = createStreamHandler(async (change) => {
  const changed = await followSchemaChange(runtime, change);
  if (changed > 0) logger.info('records followed a schema change', { entity: change.entity, key: change.key.sk, changed });
});
