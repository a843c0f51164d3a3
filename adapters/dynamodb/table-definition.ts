/**
 * The one description of the CRM table. The CDK stack and the local runtime both
 * derive their table from this object, so keys, indexes and the stream cannot drift.
 * Physical key names are generic on purpose (single-table design); what each index
 * serves is listed in docs/data-model.md.
 */
export const crmTable = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Global secondary indexes, all projecting every attribute. */
  globalIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
    { indexName: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk' },
    { indexName: 'gsi5', partitionKey: 'gsi5pk', sortKey: 'gsi5sk' },
  ],
  /** Consumers (cascades, automations) need both images of every change. */
  streamView: 'NEW_AND_OLD_IMAGES',
  /** Epoch-seconds attribute DynamoDB's TTL expires items on (idempotency records). */
  timeToLiveAttribute: 'expiresAt',
} as const;

export type CrmIndexName = (typeof crmTable.globalIndexes)[number]['indexName'];
