import { describe, expect, it } from 'vitest';
import { runLoopAsl } from '../../infra/state-machines/run-loop';
import { runStateMachines } from '../../infra/state-machines/runs';
import { allStatements, functionIdWithPrefix, resourcesOf, statementsForFunction, statementsForStateMachine, synthesize } from './stack-fixture';

/**
 * The text of an Fn::Join whose only tokens are `Fn::GetAtt [<id>, "Arn"]` of the ids in
 * `arns`, each replaced by its ARN. Any other token fails: the test must see all of it.
 */
function resolveJoin(value: unknown, arns: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`not a string or Fn::Join: ${JSON.stringify(value)}`);
  const [separator, parts] = join;
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const [id, attribute] = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'] ?? [];
      const arn = id === undefined ? undefined : arns[id];
      if (attribute !== 'Arn' || arn === undefined) throw new Error(`unexpected token in the definition: ${JSON.stringify(part)}`);
      return arn;
    })
    .join(separator);
}

const machines = [
  { name: 'sequenceRun', task: 'sequenceStepTask', starters: ['sequenceStarterConsumer'], stepState: 'Send step' },
  { name: 'workflowRun', task: 'workflowStepTask', starters: ['workflowTriggerRule', 'schedulerSchedule'], stepState: 'Run actions' },
  { name: 'exportRun', task: 'exportStepTask', starters: ['exportsFunction'], stepState: 'Write part' },
  { name: 'importRun', task: 'importStepTask', starters: ['importsFunction'], stepState: 'Import step' },
  // Started by operators only (docs/reports.md), with the ARN the stack outputs.
  { name: 'reportRebuild', task: 'reportRebuildStepTask', starters: [], stepState: 'Rebuild pages' },
] as const;

describe('run state machines', () => {
  const template = synthesize();
  const resources = resourcesOf(template);
  const stateMachineIds = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));

  it('are one per kind of run, each a Standard workflow named after the stack, without X-Ray tracing', () => {
    expect(stateMachineIds.map((id) => resources[id]!.Properties!.StateMachineName).sort()).toEqual(['crm-test-export-run', 'crm-test-import-run', 'crm-test-report-rebuild', 'crm-test-sequence-run', 'crm-test-workflow-run']);
    for (const id of stateMachineIds) {
      expect(resources[id]!.Properties!.StateMachineType).toBe('STANDARD');
      expect(resources[id]!.Properties!.TracingConfiguration).toEqual({ Enabled: false });
    }
  });

  describe.each(machines)('$name', ({ name, task, starters, stepState }) => {
    const run = runStateMachines[name];
    const stateMachineId = stateMachineIds.find((id) => resources[id]!.Properties!.StateMachineName === `crm-test-${run.nameSuffix}`)!;
    const stateMachine = resources[stateMachineId]!.Properties!;
    const stepFunctionId = functionIdWithPrefix(template, task);
    const starterIds: string[] = starters.map((starter) => functionIdWithPrefix(template, starter));

    it('logs every event, without execution data (addresses can appear in errors), to a log group of its own', () => {
      const logGroupId = stateMachine.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(stateMachine.LoggingConfiguration).toEqual({
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
        IncludeExecutionData: false,
        Level: 'ALL',
      });
      expect(resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
      const functionLogGroups = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.LoggingConfig.LogGroup.Ref);
      expect(functionLogGroups).not.toContain(logGroupId);
    });

    it('deploys exactly the definition the local emulator runs (runLoopAsl), once the step function ARN is filled in', () => {
      const stepFunctionArn = `arn:aws:lambda:eu-west-1:123456789012:function:crm-test-${run.nameSuffix}-step`;
      const deployed = JSON.parse(resolveJoin(stateMachine.DefinitionString, { [stepFunctionId]: stepFunctionArn }));

      expect(deployed).toEqual(runLoopAsl(run, stepFunctionArn));
      // Guard against comparing two empty shells: the run has its Task states.
      expect(Object.keys(deployed.States)).toEqual(expect.arrayContaining(['Wait for step', stepState, 'Record failure']));
    });

    it('may invoke its step function (and its versions and aliases) and set up its log delivery, nothing else', () => {
      const stepFunctionArn = { 'Fn::GetAtt': [stepFunctionId, 'Arn'] };
      const roleId = stateMachine.RoleArn['Fn::GetAtt'][0];
      const statements = statementsForStateMachine(template, roleId);
      expect(statements.map(({ actions, resources: on }) => ({ actions, resources: on }))).toEqual([
        { actions: ['lambda:InvokeFunction'], resources: [stepFunctionArn, { 'Fn::Join': ['', [stepFunctionArn, ':*']] }] },
        { actions: expect.arrayContaining(['logs:CreateLogDelivery', 'logs:PutResourcePolicy']), resources: ['*'] },
      ]);
      expect(statements[1]!.actions.every((action: string) => action.startsWith('logs:'))).toBe(true);
    });

    it('is started by its starters alone, which may do nothing else with it and learn its ARN', () => {
      const onStates = allStatements(template).filter((s) => s.actions.some((action: string) => action.startsWith('states:')) && JSON.stringify(s.resources) === JSON.stringify([{ Ref: stateMachineId }]));
      expect(onStates).toEqual(starters.map(() => expect.objectContaining({ actions: ['states:StartExecution'], resources: [{ Ref: stateMachineId }] })));
      for (const starterId of starterIds) expect(statementsForFunction(template, starterId)).toContainEqual(onStates[0]);

      const arnSetting = run.arnSetting;
      expect(arnSetting === undefined, 'an arnSetting exactly where functions start it').toBe(starters.length === 0);
      for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
        const passed = Object.entries(fn.Properties.Environment.Variables).filter(([, value]) => JSON.stringify(value) === JSON.stringify({ Ref: stateMachineId }));
        expect(passed, id).toEqual(starterIds.includes(id) ? [[arnSetting, { Ref: stateMachineId }]] : []);
      }
    });

    it('outputs its ARN', () => {
      template.hasOutput(run.output.id, { Value: { Ref: stateMachineId } });
    });
  });

  it('imports a file in ranges side by side: a Map over the ranges a step hands out, each a loop of range steps, as many at once as the step says', () => {
    const importRun = resources[stateMachineIds.find((id) => resources[id]!.Properties!.StateMachineName === 'crm-test-import-run')!]!.Properties!;
    const stepFunctionId = functionIdWithPrefix(template, 'importStepTask');
    const definition = JSON.parse(resolveJoin(importRun.DefinitionString, { [stepFunctionId]: 'arn:aws:lambda:eu-west-1:123456789012:function:import-step' }));
    expect(definition.States['Finished?'].Choices).toEqual([
      { Variable: '$.done', BooleanEquals: true, Next: 'Done' },
      { Variable: '$.parts', IsPresent: true, Next: 'Import ranges' },
    ]);
    const map = definition.States['Import ranges'];
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.parts', MaxConcurrencyPath: '$.concurrency', ResultPath: null, Next: 'Wait for step', ItemSelector: { 'runId.$': '$.runId', 'part.$': '$$.Map.Item.Value' } });
    expect(map.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record failure' }]);
    const rangeStep = map.ItemProcessor.States['Import range rows'];
    expect(rangeStep.Parameters).toEqual({ action: 'part', 'runId.$': '$.runId', 'part.$': '$.part' });
    expect(rangeStep.Retry).toEqual(definition.States['Import step'].Retry);
    expect(map.ItemProcessor.States['Import range rows finished?'].Default).toBe('Import range rows');
    // The other runs hand out no parts.
    const sequenceRun = resources[stateMachineIds.find((id) => resources[id]!.Properties!.StateMachineName === 'crm-test-sequence-run')!]!.Properties!;
    expect(JSON.stringify(sequenceRun.DefinitionString)).not.toContain('"Type\\":\\"Map');
  });

  it('are started by nothing else', () => {
    const onStates = allStatements(template).filter((s) => s.actions.some((action: string) => action.startsWith('states:')));
    expect(onStates).toHaveLength(machines.flatMap((machine) => machine.starters).length);
  });
});
