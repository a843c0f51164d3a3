import type { Pipeline } from '../pipelines/pipeline';
import type { PropertyDefinition } from '../properties/property-definition';
import type { CoreDependencies } from '../shared/dependencies';
import type { RecordType } from './record-model';

/** What record use cases need from the outside world; adapters fill it in. */
export interface RecordDependencies extends CoreDependencies {
  getPipeline(id: string): Promise<Pipeline | undefined>;
  propertyDefinitions(type: RecordType): Promise<PropertyDefinition[]>;
}
