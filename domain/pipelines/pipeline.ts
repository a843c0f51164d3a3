import * as z from '../shared/zod';
import { once } from '../shared/built-on-first-use';
import { recordId, serverFields, shortText } from '../shared/common-fields';

export const stageKinds = ['open', 'won', 'lost'] as const;
export type StageKind = (typeof stageKinds)[number];

/** Request and response schemas of pipelines, built on first use (shared/built-on-first-use.ts). */
export const pipelineSchemas = once(() => {
  const stageInput = z
    .strictObject({
      id: z.optional(recordId).check(z.meta({ description: 'Keep an existing stage by sending its id; omit to add a new stage.' })),
      name: shortText(100),
      probability: z.number().check(z.gte(0), z.lte(1), z.meta({ description: 'Win probability between 0 and 1.' })),
      kind: z._default(z.enum(stageKinds), 'open'),
    })
    .check(z.meta({ id: 'PipelineStageInput' }));

  const stagesInput = z.array(stageInput).check(
    z.minLength(1),
    z.maxLength(50),
    z.superRefine((stages, ctx) => {
      if (!stages.some((stage) => stage.kind === 'open')) {
        ctx.addIssue({ code: 'custom', message: 'a pipeline needs at least one open stage' });
      }
      const ids = stages.flatMap((stage) => (stage.id ? [stage.id] : []));
      if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', message: 'stage ids must be unique' });
    }),
  );

  const create = z.strictObject({ name: shortText(100), stages: stagesInput }).check(z.meta({ id: 'PipelineCreate' }));
  const update = z
    .strictObject({
      name: z.optional(shortText(100)),
      stages: z.optional(stagesInput).check(z.meta({ description: 'The full ordered list of stages: rename, reorder, add, or remove (only stages without deals).' })),
    })
    .check(
      z.refine((patch) => Object.keys(patch).length > 0, { message: 'send at least one field to change' }),
      z.meta({ id: 'PipelineUpdate' }),
    );

  const stage = z.object({ id: z.string(), name: z.string(), probability: z.number(), kind: z.enum(stageKinds) }).check(z.meta({ id: 'PipelineStage' }));
  const pipeline = z.object({ ...serverFields, name: z.string(), stages: z.array(stage), isDefault: z.boolean() }).check(z.meta({ id: 'Pipeline' }));
  return { create, update, stage, pipeline };
});
type PipelineSchemas = ReturnType<typeof pipelineSchemas>;

export type PipelineStage = z.infer<PipelineSchemas['stage']>;
export type Pipeline = z.infer<PipelineSchemas['pipeline']>;
export type PipelineCreate = z.infer<PipelineSchemas['create']>;
export type PipelineUpdate = z.infer<PipelineSchemas['update']>;

export const DEFAULT_PIPELINE_ID = 'default';

/** The sales pipeline every deployment starts with (HubSpot's familiar default stages). */
export function defaultPipeline(now: string): Pipeline {
  const stage = (id: string, name: string, probability: number, kind: StageKind = 'open'): PipelineStage => ({ id, name, probability, kind });
  return {
    id: DEFAULT_PIPELINE_ID,
    name: 'Sales pipeline',
    isDefault: true,
    createdAt: now,
    updatedAt: now,
    version: 1,
    stages: [
      stage('appointment_scheduled', 'Appointment scheduled', 0.2),
      stage('qualified_to_buy', 'Qualified to buy', 0.4),
      stage('presentation_scheduled', 'Presentation scheduled', 0.6),
      stage('decision_maker_bought_in', 'Decision maker bought in', 0.8),
      stage('contract_sent', 'Contract sent', 0.9),
      stage('closed_won', 'Closed won', 1, 'won'),
      stage('closed_lost', 'Closed lost', 0, 'lost'),
    ],
  };
}

/** The stage a new deal enters when none is given: the first open one. */
export function entryStage(pipeline: Pipeline): PipelineStage {
  const stage = pipeline.stages.find((candidate) => candidate.kind === 'open');
  if (!stage) throw new Error(`pipeline ${pipeline.id} has no open stage`);
  return stage;
}
