import type { StateMachineName } from '../functions/manifest';
import { functionsTriggeredBy } from '../functions/manifest';
import { runLoopAsl } from '../infra/state-machines/run-loop';
import { runStateMachines } from '../infra/state-machines/runs';
import { localStateMachineArn, localTaskArn } from './local-arns';

/**
 * The state machines the local Step Functions endpoint runs, by ARN: the definitions
 * CDK deploys, with Task resources pointing at local function ARNs (the endpoint maps
 * each back to its handler module in stateMachineTasks). Kept apart from local-arns.ts
 * because building a definition loads aws-cdk-lib.
 */
export function localStateMachines(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    functionsTriggeredBy('stateMachineTask').map(([task, { trigger }]) => {
      const name: StateMachineName = trigger.stateMachine;
      return [localStateMachineArn(name), runLoopAsl(runStateMachines[name], localTaskArn(task))];
    }),
  );
}
