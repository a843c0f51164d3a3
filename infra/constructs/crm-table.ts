import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { crmTable } from '../../adapters/dynamodb/table-definition';
import type { ApiFunction } from '../../functions/api-routes';

export type TableAccess = ApiFunction['tableAccess'];

/**
 * Spelled out instead of `grantReadData`, which also grants Scan: request paths
 * must use a named access pattern, never a whole-table read. Transactions need no
 * extra actions; IAM checks each item inside one against the item-level action.
 */
const readActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const writeActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

const actionsByAccess: Record<TableAccess, readonly string[]> = {
  none: [],
  read: readActions,
  readWrite: [...readActions, ...writeActions],
};

/** The single CRM table, shaped only by `crmTable` so the stack and the local runtime agree. */
export class CrmTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    const stringKey = (name: string) => ({ name, type: AttributeType.STRING });

    this.table = new TableV2(this, 'Table', {
      partitionKey: stringKey(crmTable.partitionKey),
      sortKey: stringKey(crmTable.sortKey),
      globalSecondaryIndexes: crmTable.globalIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        projectionType: ProjectionType.ALL,
      })),
      dynamoStream: StreamViewType[crmTable.streamView],
      timeToLiveAttribute: crmTable.timeToLiveAttribute,
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The table holds every customer record: deleting the stack must never delete it.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Grants exactly the actions `access` names, on the table and its indexes. */
  grantAccess(grantee: IGrantable, access: TableAccess): void {
    const actions = actionsByAccess[access];
    if (actions.length > 0) this.table.grant(grantee, ...actions);
  }
}
