import * as z from '../shared/zod';
import type { Actor } from '../shared/actor';
import { exportJobKey } from '../shared/keys';
import type { Item } from '../shared/table-port';
import { collectionOf, type RecordCollection, type RecordType } from '../records/record-model';
import { exportFormats, type ExportFormat } from './export-rows';

export const exportStatuses = ['running', 'done', 'failed'] as const;
export type ExportStatus = (typeof exportStatuses)[number];

/** One export: what it lists, how far it got, and where its file is being written. */
export interface ExportJob {
  readonly id: string;
  readonly type: RecordType;
  readonly format: ExportFormat;
  /** The list route's query parameters, as sent (limit and cursor aside). */
  readonly filters: Readonly<Record<string, string>>;
  /** The CSV header, fixed when the export started. */
  readonly columns: readonly string[];
  readonly status: ExportStatus;
  readonly rows: number;
  /** Where the list goes on; null before the first page and once done. */
  readonly cursor: string | null;
  /** The multipart upload and the parts written so far. */
  readonly uploadId: string | null;
  readonly parts: readonly { readonly partNumber: number; readonly etag: string }[];
  readonly objectKey: string;
  readonly createdBy: Actor;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly version: number;
}

/** Export jobs stay readable this long after they finish (DynamoDB TTL); their files, a day (the bucket's lifecycle). */
export const EXPORT_JOB_RETENTION_DAYS = 7;
export const EXPORT_FILE_RETENTION_HOURS = 24;

export const jobToItem = (job: ExportJob): Item => ({
  ...exportJobKey(job.id),
  entity: 'exportJob',
  ...job,
  ...(job.finishedAt ? { expiresAt: Math.floor(Date.parse(job.finishedAt) / 1000) + EXPORT_JOB_RETENTION_DAYS * 86_400 } : {}),
});

export function itemToJob(item: Item | undefined): ExportJob | undefined {
  if (!item || item.entity !== 'exportJob') return undefined;
  const { pk: _pk, sk: _sk, entity: _entity, expiresAt: _expiresAt, ...job } = item;
  return job as unknown as ExportJob;
}

const collections = Object.values(collectionOf) as [RecordCollection, ...RecordCollection[]];
export const exportRequestSchema = z
  .strictObject({
    type: z.enum(collections).check(z.meta({ description: 'Which records.' })),
    format: z._default(z.enum(exportFormats), 'csv').check(z.meta({ description: 'CSV (a header, then one row per record; lists joined with `;`) or JSON Lines (one record per line, as the API returns it).' })),
    filters: z._default(z.record(z.string(), z.string().check(z.maxLength(1_000))), {}).check(
      z.meta({ description: 'The query parameters of the type’s list route (`GET /v1/contacts?ownerId=…&lifecycleStage=…`), as strings; limit and cursor aside.' }),
    ),
  })
  .check(z.meta({ id: 'ExportCreate' }));
export type ExportRequest = z.infer<typeof exportRequestSchema>;

export const exportJobSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    format: z.enum(exportFormats),
    filters: z.record(z.string(), z.string()),
    status: z.enum(exportStatuses),
    rows: z.int().check(z.meta({ description: 'Records written so far.' })),
    createdAt: z.string(),
    finishedAt: z.nullable(z.string()),
    error: z.nullable(z.string()),
    downloadUrl: z.nullable(z.string()).check(z.meta({ description: 'When done: a presigned URL for the file, valid 15 minutes; GET the export again for a fresh one while the file is kept (24 hours).' })),
    downloadExpiresAt: z.nullable(z.string()),
  })
  .check(z.meta({ id: 'Export' }));
export type ExportView = z.infer<typeof exportJobSchema>;
