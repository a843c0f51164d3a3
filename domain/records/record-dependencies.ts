import type { Pipeline } from '../pipelines/pipeline';
import type { PropertyDefinition } from '../properties/property-definition';
import type { Clock, CrmTablePort, IdGenerator } from '../shared/table-port';
import type { RecordType } from './record-model';

/** What record use cases need from the outside world; adapters fill it in. */
export interface RecordDependencies {
  readonly table: CrmTablePort;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  getPipeline(id: string): Promise<Pipeline | undefined>;
  propertyDefinitions(type: RecordType): Promise<PropertyDefinition[]>;
}
