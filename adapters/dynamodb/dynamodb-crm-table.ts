import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchGetCommandOutput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { inParallel } from '../../domain/shared/in-parallel';
import { ContentionError, ConflictError, InvalidCursorError, RecordTooLargeError, ServiceUnavailableError } from '../../domain/shared/errors';
import type { CrmTablePort, Item, ItemKey, KeyQuery, PageKey, QueryPage, WriteCondition, WriteOp } from '../../domain/shared/table-port';

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const TRANSACTION_ATTEMPTS = 4;
/** Cancellation reasons that mean a partition was over its limits (DynamoDB's TransactWriteItems reference). */
const BATCH_WRITES_AT_ONCE = 4;
const THROTTLED_REASONS: ReadonlySet<string> = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/** Which record the contended transaction wrote first, by its entity and id, never by its table key. */
function contentionOn(ops: readonly WriteOp[]): ContentionError {
  const first = ops[0];
  const item = first?.op === 'put' ? first.item : undefined;
  return new ContentionError(typeof item?.entity === 'string' ? item.entity : 'item', typeof item?.id === 'string' ? item.id : 'unknown');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => sleep(Math.random() * 20 * 2 ** attempt);
const chunks = <T>(values: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(values.length / size) }, (_, index) => values.slice(index * size, index * size + size));

/** Batch calls refuse a key given twice; only pk and sk may be sent as a key. */
const distinctKeys = (keys: readonly ItemKey[]): { pk: string; sk: string }[] => [...new Map(keys.map(({ pk, sk }) => [`${pk}\u0000${sk}`, { pk, sk }])).values()];

function conditionExpression(condition: WriteCondition | undefined) {
  switch (condition?.kind) {
    case undefined:
      return {};
    case 'absent':
      return { ConditionExpression: 'attribute_not_exists(pk)' };
    case 'live':
      return { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)' };
    case 'liveAtVersion':
      return {
        ConditionExpression: '#version = :version AND attribute_not_exists(deletedAt)',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': condition.version },
      };
  }
}

/** `ADD` of each amount to its attribute, with the op's condition (its names and values kept apart from the amounts'). */
function addExpression(amounts: Readonly<Record<string, number>>, condition: ReturnType<typeof conditionExpression>) {
  const names = Object.keys(amounts);
  return {
    UpdateExpression: `ADD ${names.map((_, index) => `#n${index} :n${index}`).join(', ')}`,
    ...(condition.ConditionExpression ? { ConditionExpression: condition.ConditionExpression } : {}),
    ExpressionAttributeNames: { ...Object.fromEntries(names.map((name, index) => [`#n${index}`, name])), ...(condition.ExpressionAttributeNames ?? {}) },
    ExpressionAttributeValues: { ...Object.fromEntries(names.map((name, index) => [`:n${index}`, amounts[name]])), ...(condition.ExpressionAttributeValues ?? {}) },
  };
}

/** Executes the domain's key-level operations on the CRM table; the only module that speaks DynamoDB for records. */
export class DynamoDbCrmTable implements CrmTablePort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getItem(key: ItemKey): Promise<Item | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }));
    return result.Item as Item | undefined;
  }

  async getItems(keys: readonly ItemKey[]): Promise<Item[]> {
    const items: Item[] = [];
    for (const chunk of chunks(distinctKeys(keys), BATCH_GET_LIMIT)) {
      let pending: Record<string, unknown>[] | undefined = chunk;
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const result: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
        items.push(...((result.Responses?.[this.tableName] ?? []) as Item[]));
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return items;
  }

  async query(query: KeyQuery, page: { limit: number; startKey?: PageKey }): Promise<QueryPage> {
    const partitionAttribute = query.index ? `${query.index}pk` : 'pk';
    const sortAttribute = query.index ? `${query.index}sk` : 'sk';
    const input: QueryCommandInput = {
      TableName: this.tableName,
      ...(query.index ? { IndexName: query.index } : { ConsistentRead: true }),
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': partitionAttribute },
      ExpressionAttributeValues: { ':pk': query.partitionKey },
      ScanIndexForward: query.ascending ?? false,
      Limit: page.limit,
      ...(page.startKey ? { ExclusiveStartKey: page.startKey } : {}),
    };
    const sortKey = query.sortKey;
    if (sortKey) {
      input.ExpressionAttributeNames!['#sk'] = sortAttribute;
      if (sortKey.kind === 'beginsWith') {
        input.KeyConditionExpression += ' AND begins_with(#sk, :prefix)';
        input.ExpressionAttributeValues![':prefix'] = sortKey.prefix;
      } else {
        input.KeyConditionExpression += ' AND #sk BETWEEN :from AND :to';
        input.ExpressionAttributeValues![':from'] = sortKey.from;
        input.ExpressionAttributeValues![':to'] = sortKey.to;
      }
    }
    try {
      const result = await this.client.send(new QueryCommand(input));
      return { items: (result.Items ?? []) as Item[], ...(result.LastEvaluatedKey ? { lastKey: result.LastEvaluatedKey as PageKey } : {}) };
    } catch (error) {
      // Cursors are checked before they get here; this is the backstop for a start key DynamoDB still refuses.
      if (page.startKey && (error as Error).name === 'ValidationException') throw new InvalidCursorError();
      throw error;
    }
  }

  async transactWrite(ops: readonly WriteOp[]): Promise<void> {
    const failed = await this.tryTransactWrite(ops);
    if (failed.length > 0) throw ops[failed[0]!]?.onConditionFailed?.() ?? new ConflictError('A concurrent change was detected; retry the request.');
  }

  async tryTransactWrite(ops: readonly WriteOp[]): Promise<readonly number[]> {
    const [only] = ops;
    if (ops.length === 1 && only && only.op !== 'check') return this.writeOne(only);
    const TransactItems = ops.map((op) => {
      const condition = conditionExpression(op.condition);
      switch (op.op) {
        case 'put':
          return { Put: { TableName: this.tableName, Item: op.item, ...condition } };
        case 'delete':
          return { Delete: { TableName: this.tableName, Key: { pk: op.key.pk, sk: op.key.sk }, ...condition } };
        case 'check':
          return { ConditionCheck: { TableName: this.tableName, Key: { pk: op.key.pk, sk: op.key.sk }, ...(condition as Required<typeof condition>) } };
        case 'add':
          return { Update: { TableName: this.tableName, Key: { pk: op.key.pk, sk: op.key.sk }, ...addExpression(op.amounts, condition) } };
      }
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems }));
        return [];
      } catch (error) {
        if ((error as Error).name === 'ValidationException' && /item size/i.test((error as Error).message)) throw new RecordTooLargeError();
        if (!(error instanceof TransactionCanceledException)) throw error;
        // One reason per operation, in order: every condition that failed is named.
        const reasons = error.CancellationReasons ?? [];
        const failed = reasons.flatMap((reason, position) => (reason.Code === 'ConditionalCheckFailed' ? [position] : []));
        if (failed.length > 0) return failed;
        // Another transaction held one of the items, or a partition was over its throughput: nothing
        // was written, and the SDK does not retry a cancelled transaction. Safe to send again as is.
        const conflicted = reasons.some((reason) => reason.Code === 'TransactionConflict');
        const throttled = reasons.some((reason) => reason.Code !== undefined && THROTTLED_REASONS.has(reason.Code));
        if (!conflicted && !throttled) throw error;
        if (attempt >= TRANSACTION_ATTEMPTS) {
          if (throttled) throw new ServiceUnavailableError('The table is over its throughput for these items right now; nothing was written, retry the request.', { cause: error });
          throw contentionOn(ops);
        }
        await backoff(attempt);
      }
    }
  }

  /**
   * One conditional put or delete as PutItem or DeleteItem: all-or-nothing as a transaction
   * of one would be, at half its write units (DynamoDB bills a transactional write twice).
   */
  private async writeOne(op: Extract<WriteOp, { op: 'put' | 'delete' | 'add' }>): Promise<readonly number[]> {
    const condition = conditionExpression(op.condition);
    try {
      if (op.op === 'put') await this.client.send(new PutCommand({ TableName: this.tableName, Item: op.item, ...condition }));
      else if (op.op === 'add') await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: { pk: op.key.pk, sk: op.key.sk }, ...addExpression(op.amounts, condition) }));
      else await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: op.key.pk, sk: op.key.sk }, ...condition }));
      return [];
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return [0];
      if ((error as Error).name === 'ValidationException' && /item size/i.test((error as Error).message)) throw new RecordTooLargeError();
      throw error;
    }
  }

  async increment(key: ItemKey, attributes: Record<string, unknown> = {}): Promise<number> {
    const names = Object.keys(attributes);
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: key.pk, sk: key.sk },
        UpdateExpression: ['ADD #count :one', ...(names.length > 0 ? [`SET ${names.map((_, index) => `#a${index} = :a${index}`).join(', ')}`] : [])].join(' '),
        ExpressionAttributeNames: { '#count': 'count', ...Object.fromEntries(names.map((name, index) => [`#a${index}`, name])) },
        ExpressionAttributeValues: { ':one': 1, ...Object.fromEntries(names.map((name, index) => [`:a${index}`, attributes[name]])) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(result.Attributes?.count);
  }

  async deleteItems(keys: readonly ItemKey[]): Promise<void> {
    await this.batchWrite(distinctKeys(keys).map((Key) => ({ DeleteRequest: { Key } })));
  }

  async putItems(items: readonly Item[]): Promise<void> {
    await this.batchWrite(items.map((item) => ({ PutRequest: { Item: item } })));
  }

  /** Chunks of 25 (the BatchWriteItem limit), a few at once: a search indexer's batch of a hundred records is hundreds of items. */
  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    await inParallel(chunks(requests, BATCH_WRITE_LIMIT), BATCH_WRITES_AT_ONCE, async (chunk) => {
      let pending: Record<string, unknown>[] | undefined = chunk;
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const result: BatchWriteCommandOutput = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = result.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
      }
    });
  }
}
