import type { StateMachineName } from '../../functions/manifest';
import type { RunLoop } from './run-loop';

/**
 * The CRM's state machines, one per kind of run, each a run loop (run-loop.ts) around the
 * step function of functions/manifest.ts that serves it. The stack deploys them, the local
 * Step Functions endpoint runs the same definitions.
 */
export interface RunStateMachine extends RunLoop {
  /** Appended to the stack's name: the state machine's name (`crm-prod-sequence-run`). */
  readonly nameSuffix: string;
  /** The setting that tells a function starting executions which state machine to start. */
  readonly arnSetting: 'SEQUENCE_STATE_MACHINE_ARN' | 'WORKFLOW_STATE_MACHINE_ARN';
  /** The stack output with its ARN, and what it says. */
  readonly output: { readonly id: string; readonly description: string };
}

export const runStateMachines: Readonly<Record<StateMachineName, RunStateMachine>> = {
  /** A follow-up sequence's run: one execution per enrollment run, a step per email or task. */
  sequenceRun: {
    nameSuffix: 'sequence-run',
    arnSetting: 'SEQUENCE_STATE_MACHINE_ARN',
    runFields: { sequenceId: 'string', contactId: 'string', runId: 'string', stepIndex: 'number' },
    stepStateName: 'Send step',
    failure: { error: 'SequenceStepFailed', cause: 'A step kept failing; the enrollment is marked failed.' },
    output: { id: 'SequenceStateMachineArn', description: 'Runs follow-up sequences; one execution per enrollment, named after its run' },
  },
  /** A workflow's run: one execution per workflow and triggering event; each task runs actions until a wait. */
  workflowRun: {
    nameSuffix: 'workflow-run',
    arnSetting: 'WORKFLOW_STATE_MACHINE_ARN',
    runFields: { runId: 'string' },
    stepStateName: 'Run actions',
    failure: { error: 'WorkflowStepFailed', cause: 'A step kept failing; the run is marked failed.' },
    output: { id: 'WorkflowStateMachineArn', description: 'Runs workflows; one execution per workflow and triggering event, named after its run' },
  },
};
