import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SequenceRunStarter, SequenceRunState } from '../../domain/sequences/sequence-runs';
import type { Config } from '../config';

/**
 * Starts a sequence run as a Standard workflow execution named after the run. Step
 * Functions refuses a second execution with the same name, which makes a redelivered
 * start a no-op (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export class StepFunctionsSequenceRunStarter implements SequenceRunStarter {
  private readonly client: SFNClient;

  constructor(private readonly config: Pick<Config, 'AWS_REGION' | 'STEP_FUNCTIONS_ENDPOINT' | 'SEQUENCE_STATE_MACHINE_ARN'>) {
    this.client = new SFNClient({
      region: config.AWS_REGION,
      ...(config.STEP_FUNCTIONS_ENDPOINT ? { endpoint: config.STEP_FUNCTIONS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
  }

  async start(run: SequenceRunState): Promise<void> {
    const stateMachineArn = this.config.SEQUENCE_STATE_MACHINE_ARN;
    if (!stateMachineArn) throw new Error('SEQUENCE_STATE_MACHINE_ARN is not set: this function cannot start sequence runs.');
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn, name: run.runId, input: JSON.stringify(run) }));
    } catch (error) {
      // Same name, different input (the sequence's first delay was edited in between): the run already exists.
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  }
}
