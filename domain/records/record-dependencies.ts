import { findPipeline } from '../pipelines/pipeline-use-cases';
import type { Pipeline } from '../pipelines/pipeline';
import type { PropertyDefinition } from '../properties/property-definition';
import { propertyDefinitionsFor } from '../properties/property-use-cases';
import type { CoreDependencies } from '../shared/dependencies';
import { findOwner } from '../owners/owners';
import type { RecordType } from './record-model';

/** What record use cases need from the outside world; adapters fill it in. */
export interface RecordDependencies extends CoreDependencies {
  getPipeline(id: string): Promise<Pipeline | undefined>;
  propertyDefinitions(type: RecordType): Promise<PropertyDefinition[]>;
  /** Whether a user is an owner (domain/owners/owners.ts): who an ownerId may name. */
  isOwner(id: string): Promise<boolean>;
}

/** The record dependencies over a table: pipelines and property definitions are read from it. */
export function recordDependenciesOf(core: CoreDependencies): RecordDependencies {
  // Owners are never removed: a yes is remembered for the life of these dependencies (a container).
  const knownOwners = new Set<string>();
  const isOwner = async (id: string) => {
    if (knownOwners.has(id)) return true;
    const known = (await findOwner(core.table, id)) !== undefined;
    if (known) knownOwners.add(id);
    return known;
  };
  return { ...core, getPipeline: (id) => findPipeline(core, id), propertyDefinitions: (type) => propertyDefinitionsFor(core, type), isOwner };
}

/**
 * The same dependencies with pipelines and property definitions read at most once: for
 * one request that writes many records (a batch), so a 100-row import reads the property
 * definitions once, not 100 times from one partition (the partition-heat model's hot key).
 */
export function readingOnce(deps: RecordDependencies): RecordDependencies {
  const pipelines = new Map<string, Promise<Pipeline | undefined>>();
  const definitions = new Map<RecordType, Promise<PropertyDefinition[]>>();
  const once = <K, V>(cache: Map<K, Promise<V>>, key: K, read: () => Promise<V>) => {
    const cached = cache.get(key);
    if (cached) return cached;
    const reading = read();
    cache.set(key, reading);
    // A failed read is not remembered: the next input tries again.
    reading.catch(() => cache.delete(key));
    return reading;
  };
  return {
    ...deps,
    getPipeline: (id) => once(pipelines, id, () => deps.getPipeline(id)),
    propertyDefinitions: (type) => once(definitions, type, () => deps.propertyDefinitions(type)),
  };
}
