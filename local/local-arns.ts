import type { FunctionName, StateMachineName } from '../functions/manifest';
import { LOCAL_ACCOUNT_ID } from './http-api-event';

/** Names of the local stand-ins for deployed resources, shared by the emulators and the environment handlers see. */

export const LOCAL_REGION = 'us-east-1';

/** A state machine's ARN locally (`crm-sequence-run`, as the stack names it for stage local). */
export function localStateMachineArn(name: StateMachineName): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:crm-${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** What SEQUENCE_STATE_MACHINE_ARN is locally. */
export const LOCAL_SEQUENCE_STATE_MACHINE_ARN = localStateMachineArn('sequenceRun');

/** The configuration set local mail is sent with (SES_CONFIGURATION_SET_NAME); only its mail gets SES events. */
export const LOCAL_SES_CONFIGURATION_SET = 'crm-local';

/** The ARN a Task state uses locally to call the function of that state machine task. */
export function localTaskArn(task: FunctionName): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${task}`;
}

/** The stage's own bus locally (EVENT_BUS_NAME): `crm-<stage>`, as deployed. */
export const LOCAL_EVENT_BUS_NAME = 'crm-local';
