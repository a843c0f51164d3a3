import { Duration, Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { AccountPrincipal, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CRM_EVENT_SOURCE, crmEventTypes } from '../../domain/events/crm-events';
import { eventJsonSchema } from '../../domain/events/event-schemas';
import type { StackConfig } from '../stack-config';

export interface CrmEventBusProps {
  /** Names the bus and the schema registry: `crm-<stage>`. */
  readonly stage: string;
  readonly config: StackConfig['events'];
}

/**
 * What another account may do with rules on the bus: create and manage the rules it created,
 * nothing else (AWS's "Managing event bus permissions": the `events:creatorAccount` condition).
 */
const ruleManagement = [
  'events:PutRule',
  'events:PutTargets',
  'events:DeleteRule',
  'events:RemoveTargets',
  'events:DisableRule',
  'events:EnableRule',
  'events:TagResource',
  'events:UntagResource',
  'events:DescribeRule',
  'events:ListTargetsByRule',
  'events:ListTagsForResource',
];

/**
 * The stage's own bus, `crm-<stage>`, which the event publisher alone writes to
 * (docs/events.md): an archive to replay from, a schema registry with every event's JSON
 * Schema (the same documents as schemas/events/), and rules of other accounts where the
 * stage config allows them.
 */
export class CrmEventBus extends Construct {
  readonly bus: EventBus;
  readonly registryName: string;

  constructor(scope: Construct, id: string, props: CrmEventBusProps) {
    super(scope, id);
    const { stage, config } = props;
    this.bus = new EventBus(this, 'Bus', { eventBusName: `crm-${stage}`, description: `Every committed change of the CRM's ${stage} stage (docs/events.md)` });

    if (config.archiveDays > 0) {
      this.bus.archive('Archive', {
        description: 'Every CRM event, for replay to a consumer that missed some (docs/events.md, "Replay")',
        eventPattern: { source: [CRM_EVENT_SOURCE] },
        retention: Duration.days(config.archiveDays),
      });
    }

    const registry = new CfnRegistry(this, 'Schemas', { registryName: `crm-${stage}`, description: `The events on bus crm-${stage}; one schema per detail-type` });
    this.registryName = registry.attrRegistryName;
    // Each schema names the registry through its attribute, which orders the two for CloudFormation.
    for (const type of crmEventTypes) {
      new CfnSchema(this, `Schema${type.replace(/[._]/g, '-')}`, {
        registryName: registry.attrRegistryName,
        schemaName: `${CRM_EVENT_SOURCE}@${type}`,
        type: 'JSONSchemaDraft4',
        content: JSON.stringify(eventJsonSchema(type)),
        description: `${type}: see schemas/events/${type}.json`,
      });
    }

    const ruleArns = Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: `${this.bus.eventBusName}/*` });
    for (const account of config.ruleAccounts) {
      this.bus.addToResourcePolicy(
        new PolicyStatement({
          sid: `RulesOfAccount${account}`,
          principals: [new AccountPrincipal(account)],
          actions: ruleManagement,
          resources: [ruleArns],
          conditions: { StringEqualsIfExists: { 'events:creatorAccount': account } },
        }),
      );
    }
  }

  /** PutEvents on this bus and no other. */
  grantPublish(grantee: IGrantable): void {
    this.bus.grantPutEventsTo(grantee);
  }
}
