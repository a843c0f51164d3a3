/**
 * Lambdas that Step Functions state machines call as Task states. The CDK stack builds the
 * state machines around these, and the local Step Functions endpoint maps each Task state
 * back to the same handler module, so what runs locally is what deploys.
 */
export interface StateMachineTask {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly tableAccess: 'read' | 'readWrite';
  /** Sends email through SES (grants ses:SendEmail on the sender identity). */
  readonly sendsEmail?: boolean;
}

export const stateMachineTasks = {
  /** One step of a follow-up sequence run: send that step's email, advance the enrollment, plan the next wait. */
  sequenceStep: { entry: 'functions/sequence-step.ts', memoryMb: 512, timeoutSeconds: 30, tableAccess: 'readWrite', sendsEmail: true },
} as const satisfies Record<string, StateMachineTask>;

export type StateMachineTaskName = keyof typeof stateMachineTasks;
