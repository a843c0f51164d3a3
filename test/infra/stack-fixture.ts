import { readFileSync } from 'node:fs';
import { App, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CrmStack } from '../../infra/crm-stack';
import { parseStackConfig, type StackConfigInput } from '../../infra/stack-config';

/** The feature flags and stages `cdk synth` uses, so the tests see the deployed template. */
export function appContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
  return cdkJson.context;
}

/** An app like `cdk synth` builds, minus bundling (only the bundling test needs the code). */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...appContext(), 'aws:cdk:bundling-stacks': [], ...context } });
}

export function buildStack(app: App, config: StackConfigInput = {}, id = 'crm-test'): CrmStack {
  return new CrmStack(app, id, { stage: 'test', config: parseStackConfig(config) });
}

export function synthesize(config: StackConfigInput = {}): Template {
  return deployedTemplate(buildStack(testApp(), config));
}

/** The stack's nested stacks (the alarms and dashboard), each with its own template. */
export function nestedStacksOf(stack: Stack): NestedStack[] {
  return stack.node.findAll().filter((construct): construct is NestedStack => construct instanceof NestedStack);
}

/**
 * The stack as one template, the way CloudFormation deploys it: each nested stack's resources
 * join the parent's, with every `Ref` to a nested stack's parameter replaced by the value the
 * parent passes it, and every `Outputs.<name>` the parent reads from it replaced by that
 * output's value. Assertions then see what a resource refers to, wherever it lives; the
 * 500-resource limit is per template, and crm-stack.test.ts checks that on the real ones.
 */
export function deployedTemplate(stack: Stack): Template {
  const parent = Template.fromStack(stack).toJSON();
  for (const nested of nestedStacksOf(stack)) {
    const nestedId = stack.resolve(nested.nestedStackResource!.logicalId) as string;
    const passed: Record<string, unknown> = parent.Resources[nestedId].Properties?.Parameters ?? {};
    const child = replaceDeep(Template.fromStack(nested).toJSON(), (node) => {
      const ref = node.Ref;
      return Object.keys(node).length === 1 && typeof ref === 'string' && ref in passed ? passed[ref] : undefined;
    });
    for (const [id, resource] of Object.entries(child.Resources)) {
      if (id in parent.Resources) throw new Error(`logical id ${id} is in both ${stack.stackName} and its nested stack ${nested.node.id}`);
      parent.Resources[id] = resource;
    }
    delete parent.Resources[nestedId];
    const flattened = replaceDeep(parent, (node) => {
      const getAtt = node['Fn::GetAtt'];
      if (Object.keys(node).length !== 1 || !Array.isArray(getAtt) || getAtt[0] !== nestedId) return undefined;
      return child.Outputs[String(getAtt[1]).replace(/^Outputs\./, '')].Value;
    });
    Object.assign(parent, flattened);
  }
  return Template.fromJSON(parent);
}

/** `value` with every object node for which `replace` returns something replaced by it. */
function replaceDeep(value: any, replace: (node: Record<string, any>) => unknown): any {
  if (Array.isArray(value)) return value.map((item) => replaceDeep(item, replace));
  if (value === null || typeof value !== 'object') return value;
  const replaced = replace(value);
  if (replaced !== undefined) return replaced;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, replaceDeep(child, replace)]));
}

export type Resource = { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string };

export function resourcesOf(template: Template): Record<string, Resource> {
  return template.toJSON().Resources;
}

export function statementsOf(policyDocument: { Statement: Record<string, any>[] }) {
  return policyDocument.Statement.map((statement) => ({
    ...statement,
    actions: [statement.Action].flat() as string[],
    resources: [statement.Resource].flat(),
  }));
}

/** Every identity-policy statement in the template: inline role policies and attached policies. */
export function allStatements(template: Template) {
  return Object.values(resourcesOf(template)).flatMap((resource) => {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      return statementsOf(props.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      return (props.Policies ?? []).flatMap((policy: any) => statementsOf(policy.PolicyDocument));
    }
    return [];
  });
}

/** Statements of the policies attached to the role of the function with this logical id. */
export function statementsForFunction(template: Template, functionId: string) {
  const resources = resourcesOf(template);
  const roleId = resources[functionId]?.Properties?.Role['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties?.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((policy) => statementsOf(policy.Properties!.PolicyDocument));
}

/** The logical id of the one Lambda function whose id starts with `prefix` (its construct's id). */
export function functionIdWithPrefix(template: Template, prefix: string): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one function whose id starts with ${prefix}, found ${ids.length}`);
  return ids[0]!;
}

/** Statements of the policies attached to a state machine's role. */
export function statementsForStateMachine(template: Template, roleId: string) {
  const resources = resourcesOf(template);
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties?.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((policy) => statementsOf(policy.Properties!.PolicyDocument));
}

/** The smallest stage config that sends email: every event rule (the email-scoped ones too) is deployed. */
export const withEmail = { email: { fromAddress: 'crm@acme.example' } } satisfies StackConfigInput;

/**
 * `value` with every `{ Ref }` to an SES configuration set replaced by the set's Name, as
 * CloudFormation resolves it (Ref of AWS::SES::ConfigurationSet is its name).
 */
export function withConfigurationSetNames(template: Template, value: unknown): unknown {
  const resources = resourcesOf(template);
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (node === null || typeof node !== 'object') return node;
    const ref = (node as { Ref?: unknown }).Ref;
    if (Object.keys(node).length === 1 && typeof ref === 'string' && resources[ref]?.Type === 'AWS::SES::ConfigurationSet') {
      const name = resources[ref]!.Properties?.Name;
      if (typeof name !== 'string') throw new Error(`configuration set ${ref} has no literal Name`);
      return name;
    }
    return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, resolve(child)]));
  };
  return resolve(value);
}
