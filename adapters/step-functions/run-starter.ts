import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Config } from '../config';

/**
 * Starts a run (a sequence's, a workflow's, an export's) as a Standard workflow execution named after the
 * run. Step Functions refuses a second execution with the same name, which makes a
 * redelivered start a no-op (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export class StepFunctionsRunStarter<Run extends { readonly runId: string }> {
  private readonly client: SFNClient;

  /** `arnSetting`: the setting with the state machine's ARN, which the stack sets on the functions that start its runs. */
  constructor(
    private readonly config: Pick<Config, 'AWS_REGION' | 'STEP_FUNCTIONS_ENDPOINT' | 'SEQUENCE_STATE_MACHINE_ARN' | 'WORKFLOW_STATE_MACHINE_ARN' | 'EXPORT_STATE_MACHINE_ARN' | 'IMPORT_STATE_MACHINE_ARN'>,
    private readonly arnSetting: 'SEQUENCE_STATE_MACHINE_ARN' | 'WORKFLOW_STATE_MACHINE_ARN' | 'EXPORT_STATE_MACHINE_ARN' | 'IMPORT_STATE_MACHINE_ARN',
  ) {
    this.client = new SFNClient({
      region: config.AWS_REGION,
      ...(config.STEP_FUNCTIONS_ENDPOINT ? { endpoint: config.STEP_FUNCTIONS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
  }

  async start(run: Run): Promise<void> {
    const stateMachineArn = this.config[this.arnSetting];
    if (!stateMachineArn) throw new Error(`${this.arnSetting} is not set: this function cannot start these runs.`);
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn, name: run.runId, input: JSON.stringify(run) }));
    } catch (error) {
      // Same name, different input (a sequence's first delay was edited in between): the run already exists.
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  }
}
