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
  /** The setting that tells a function starting executions which state machine to start; none where only operators start it. */
  readonly arnSetting?: 'SEQUENCE_STATE_MACHINE_ARN' | 'WORKFLOW_STATE_MACHINE_ARN' | 'EXPORT_STATE_MACHINE_ARN' | 'IMPORT_STATE_MACHINE_ARN';
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
  /** An export: one execution per export, named after it; each step writes one part of its file. */
  exportRun: {
    nameSuffix: 'export-run',
    arnSetting: 'EXPORT_STATE_MACHINE_ARN',
    runFields: { runId: 'string' },
    stepStateName: 'Write part',
    failure: { error: 'ExportStepFailed', cause: 'A step kept failing; the export is marked failed.' },
    output: { id: 'ExportStateMachineArn', description: 'Runs exports of records to files; one execution per export, named after it' },
  },
  /** An import: one execution per import, named after it; a step splits its file into ranges, the Map writes them side by side, steps write its error report. */
  importRun: {
    nameSuffix: 'import-run',
    arnSetting: 'IMPORT_STATE_MACHINE_ARN',
    runFields: { runId: 'string' },
    stepStateName: 'Import step',
    failure: { error: 'ImportStepFailed', cause: 'A step kept failing; the import is marked failed. Rows written so far stay written.' },
    parts: { mapStateName: 'Import ranges', stepStateName: 'Import range rows' },
    output: { id: 'ImportStateMachineArn', description: 'Runs imports of CSV files; one execution per import, named after it' },
  },
  /**
   * `npm run reports:rebuild`, deployed: an operator starts it (docs/reports.md); each step
   * mends a few minutes' worth of pages of records and hands on where it stopped, so no
   * Lambda runs long and a failed step resumes at its own page.
   */
  reportRebuild: {
    nameSuffix: 'report-rebuild',
    runFields: { partition: 'number', cursor: 'string', records: 'number', mended: 'number' },
    stepStateName: 'Rebuild pages',
    failure: { error: 'ReportRebuildStepFailed', cause: 'A step kept failing; reports mended so far stay mended. Start a new rebuild once the cause is fixed.' },
    output: { id: 'ReportRebuildStateMachineArn', description: 'Recomputes the reports from the records (docs/reports.md); start it with the input docs/reports.md gives' },
  },
};
