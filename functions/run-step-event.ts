import * as z from '../domain/shared/zod';

/**
 * What a run state machine (infra/state-machines/run-loop.ts) passes its step function: the
 * run's fields with `action: send` for the next step, or `action: fail` with the error and
 * cause of the step that kept failing, once the run gives up.
 */
export function runStepEvent<Fields extends Record<string, z.ZodMiniType>>(fields: Fields) {
  return z.discriminatedUnion('action', [sendEvent(fields), failEvent(fields)]);
}

/** The same for a run loop with `parts`: also `action: part` with the part a step handed out. Other runs refuse it. */
export function runStepEventWithParts<Fields extends Record<string, z.ZodMiniType>>(fields: Fields) {
  return z.discriminatedUnion('action', [sendEvent(fields), z.object({ action: z.literal('part'), ...fields, part: z.int().check(z.gte(0)) }), failEvent(fields)]);
}

const sendEvent = <Fields extends Record<string, z.ZodMiniType>>(fields: Fields) => z.object({ action: z.literal('send'), ...fields });
const failEvent = <Fields extends Record<string, z.ZodMiniType>>(fields: Fields) => z.object({ action: z.literal('fail'), ...fields, error: z.nullish(z.string()), cause: z.nullish(z.string()) });

/** The fields of a run known by its id alone (a workflow's, an export's, an import's). */
export const runIdField = { runId: z.string().check(z.minLength(1)) };
