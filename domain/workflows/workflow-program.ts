import type { ConditionGroup, StoredWorkflowAction, WorkflowAction } from './workflow';

/**
 * A workflow's actions as a flat list of steps, the way a run walks them: a branch becomes
 * a test that skips to its `else` part, and the end of its `then` part a jump past the
 * `else`. A step's position is stable for one version of a workflow (a run keeps the
 * version it started with), so it names the step in the run's record and makes each
 * action's effect idempotent (a task's id, an email's id come from run and position).
 */

export type ProgramStep =
  | { readonly kind: 'action'; readonly path: string; readonly action: WorkflowAction }
  | { readonly kind: 'branch'; readonly path: string; readonly conditions: ConditionGroup; readonly elseAt: number }
  | { readonly kind: 'jump'; readonly path: string; readonly to: number };

export function compileWorkflow(actions: readonly StoredWorkflowAction[]): ProgramStep[] {
  const steps: ProgramStep[] = [];
  actions.forEach((action, index) => {
    if (action.type !== 'branch') {
      steps.push({ kind: 'action', path: `${index}`, action });
      return;
    }
    const test = steps.push({ kind: 'branch', path: `${index}`, conditions: { match: action.match, conditions: action.conditions }, elseAt: -1 }) - 1;
    action.then.forEach((inner, position) => steps.push({ kind: 'action', path: `${index}.then.${position}`, action: inner }));
    const jump = action.else?.length ? steps.push({ kind: 'jump', path: `${index}.then.end`, to: -1 }) - 1 : undefined;
    steps[test] = { ...(steps[test] as Extract<ProgramStep, { kind: 'branch' }>), elseAt: steps.length };
    action.else?.forEach((inner, position) => steps.push({ kind: 'action', path: `${index}.else.${position}`, action: inner }));
    if (jump !== undefined) steps[jump] = { kind: 'jump', path: `${index}.then.end`, to: steps.length };
  });
  return steps;
}
