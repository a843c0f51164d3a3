import { sequenceRunAsl } from '../infra/state-machines/sequence-run';
import { LOCAL_SEQUENCE_STATE_MACHINE_ARN, localTaskArn } from './local-arns';

/**
 * The state machines the local Step Functions endpoint runs, by ARN: the definitions
 * CDK deploys, with Task resources pointing at local function ARNs (the endpoint maps
 * each back to its handler module in stateMachineTasks). Kept apart from local-arns.ts
 * because building a definition loads aws-cdk-lib.
 */
export function localStateMachines(): Record<string, Record<string, unknown>> {
  return { [LOCAL_SEQUENCE_STATE_MACHINE_ARN]: sequenceRunAsl(localTaskArn('sequenceStep')) };
}
