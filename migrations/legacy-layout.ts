import { listShards } from '../domain/shared/keys';

/**
 * Runs `work` with every list in one partition key, the layout before migration 0002
 * (0002-shard-lists.ts): the same key declarations, their shard counts set to 1 for the
 * duration. For writing test data under the old keys, and for the partition-heat model's
 * "unsharded" rows. Not for request code: it changes what every key builder makes.
 */
export async function inLegacyLayout<T>(work: () => Promise<T>): Promise<T> {
  const saved = structuredClone(listShards);
  const unsharded = <V extends object>(value: V) => Object.fromEntries(Object.keys(value).map((key) => [key, 1])) as V;
  Object.assign(listShards, { ...unsharded(listShards), recordsByType: unsharded(listShards.recordsByType) });
  try {
    return await work();
  } finally {
    Object.assign(listShards, saved);
  }
}
