import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  type CfnGlobalTable,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { crmTable } from '../../adapters/dynamodb/table-definition';
import { unsubscribeLeadingKeys } from '../../domain/shared/keys';
import type { TableAccess } from '../../functions/manifest';
import type { StackConfig } from '../stack-config';

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

/**
 * Finishing a deletion: read the tombstone, its partition and the records that reference
 * it; rewrite those records (a transaction of puts, deletes and condition checks); delete
 * link items one by one or in batches. No UpdateItem, no DescribeTable.
 */
const sweepActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

const actionsByAccess: Record<TableAccess, readonly string[]> = {
  none: [],
  read: readActions,
  readWrite: [...readActions, ...writeActions],
  sweep: sweepActions,
  // Read the signing secret and the message, put the secret (once) and the suppression.
  suppressByLink: ['dynamodb:GetItem', 'dynamodb:PutItem'],
};

/**
 * Partitions an access level is confined to (IAM's dynamodb:LeadingKeys), for the public
 * unsubscribe function: a flaw in it could touch nothing but these (domain/shared/keys.ts).
 */
const leadingKeysByAccess: Partial<Record<TableAccess, readonly string[]>> = {
  suppressByLink: unsubscribeLeadingKeys,
};

/**
 * With a customer managed key, DynamoDB decrypts the table key with the caller's
 * credentials (and caches it per caller for minutes); items are then encrypted and
 * decrypted with that table key inside DynamoDB. Readers and writers alike need only
 * Decrypt, not the Encrypt/GenerateDataKey* that `grantWriteData` would add.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
 */
const tableKeyActions = ['kms:Decrypt', 'kms:DescribeKey'];

export interface CrmTableProps {
  readonly encryption: StackConfig['tableEncryption'];
  /** An existing key to encrypt with; only with `customer-managed`. */
  readonly kmsKeyArn?: string;
  /** Pre-warmed throughput of the table and each index (stack config `tableWarmThroughput`). */
  readonly warmThroughput?: StackConfig['tableWarmThroughput'];
}

/** The single CRM table, shaped only by `crmTable` so the stack and the local runtime agree. */
export class CrmTable extends Construct {
  readonly table: TableV2;
  /** The customer managed key, when the table has one. */
  readonly encryptionKey: IKey | undefined;

  constructor(scope: Construct, id: string, props: CrmTableProps) {
    super(scope, id);

    this.encryptionKey = props.encryption === 'customer-managed' ? this.customerManagedKey(props.kmsKeyArn) : undefined;

    const stringKey = (name: string) => ({ name, type: AttributeType.STRING });

    this.table = new TableV2(this, 'Table', {
      partitionKey: stringKey(crmTable.partitionKey),
      sortKey: stringKey(crmTable.sortKey),
      globalSecondaryIndexes: crmTable.globalIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        projectionType: ProjectionType.ALL,
        ...(props.warmThroughput ? { warmThroughput: props.warmThroughput } : {}),
      })),
      dynamoStream: StreamViewType[crmTable.streamView],
      timeToLiveAttribute: crmTable.timeToLiveAttribute,
      billing: Billing.onDemand(),
      ...(props.warmThroughput ? { warmThroughput: props.warmThroughput } : {}),
      // KMS encryption for a customer managed key; the key itself is set on the replica below.
      encryption: this.encryptionKey ? TableEncryptionV2.awsManagedKey() : TableEncryptionV2.dynamoOwnedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The table holds every customer record: deleting the stack must never delete it.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (this.encryptionKey) {
      // TableEncryptionV2.customerManagedKey renders only when the stack's region is known
      // at synth, and this stack is region-agnostic. Its one replica is the table in the
      // deployment region, so the key goes on that replica directly.
      const cfnTable = this.table.node.defaultChild as CfnGlobalTable;
      cfnTable.addPropertyOverride('Replicas.0.SSESpecification.KMSMasterKeyId', this.encryptionKey.keyArn);
    }
  }

  /**
   * Grants exactly the actions `access` names, on the table and on each index by name
   * (no `index/*`), plus what the table's customer managed key requires.
   */
  grantAccess(grantee: IGrantable, access: TableAccess): void {
    const actions = actionsByAccess[access];
    if (actions.length === 0) return;
    const leadingKeys = leadingKeysByAccess[access];
    if (leadingKeys) {
      // Items only, no index: a confined function reads nothing by index.
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [...actions],
          resources: [this.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } },
        }),
      );
    } else {
      const indexArns = crmTable.globalIndexes.map((index) => `${this.table.tableArn}/index/${index.indexName}`);
      Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [this.table.tableArn, ...indexArns] });
    }
    this.encryptionKey?.grant(grantee, ...tableKeyActions);
  }

  private customerManagedKey(existingKeyArn: string | undefined): IKey {
    if (existingKeyArn) return Key.fromKeyArn(this, 'Key', existingKeyArn);
    return new Key(this, 'Key', {
      description: `Encrypts the CRM table of stack ${Stack.of(this).stackName}`,
      enableKeyRotation: true,
      // Without its key a retained table is unreadable: the key outlives the stack too.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
