import * as z from '../shared/zod';
import type { Actor } from '../shared/actor';
import { importJobKey, importsByAuthor } from '../shared/keys';
import { storedValue } from '../shared/stored-item';
import type { Item, PageKey } from '../shared/table-port';
import type { RecordType } from '../records/record-model';

/** The record types a CSV file can be imported into: those with a unique field to upsert on (email, domain). */
export const importableCollections = ['contacts', 'companies', 'deals', 'activities'] as const;
export type ImportableCollection = (typeof importableCollections)[number];

export const importStatuses = ['awaiting-upload', 'running', 'done', 'cancelled', 'failed'] as const;
export type ImportStatus = (typeof importStatuses)[number];

export const csvDelimiters = [',', ';', '\t'] as const;
export type CsvDelimiter = (typeof csvDelimiters)[number];

/** Where reading the file goes on: the byte just past the last record read, and the line it ended on. */
export interface FilePosition {
  readonly offset: number;
  readonly line: number;
}

export interface ImportCounts {
  /** Data rows read so far (the header aside). */
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  /** Rows whose record already had every value: a file imported again counts here. */
  readonly unchanged: number;
  readonly failed: number;
}

export const noCounts: ImportCounts = { rows: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };

/** One import: its file, how its columns map to fields, how far it got, and the report of failed rows. */
export interface ImportJob {
  readonly id: string;
  readonly type: RecordType;
  /** Validates every row and counts what it would do, writing no record. */
  readonly dryRun: boolean;
  /** CSV header → field (`email`, `properties.plan`, `companyDomain`), or null to skip the column; as sent, or guessed once the file is there. */
  readonly mapping: Readonly<Record<string, string | null>> | null;
  readonly delimiter: CsvDelimiter | null;
  /** The unique field rows find their record by (`externalId` for contacts, say); null: the type's first (email, domain, externalId). */
  readonly upsertOn: string | null;
  /** The header as read from the file when the import started. */
  readonly headers: readonly string[] | null;
  readonly status: ImportStatus;
  /** `split` while the file is read once for where its ranges start, `rows` while the ranges are written (each range's progress in its own item), `report` once they are (the failed rows written to the error report, if any). */
  readonly phase: 'split' | 'rows' | 'report';
  /** While splitting: where reading goes on. */
  readonly position: FilePosition | null;
  /** Where each range of the file starts (a record's first byte and line; the first at the data's start), in file order; the last range runs to the end. */
  readonly ranges: readonly FilePosition[];
  /** Rows a range holds (the last fewer); doubled when a file would need more than the ranges an import may have. */
  readonly rowsPerRange: number;
  /** Data rows counted by the split so far: once it is done, the file's. */
  readonly rowsInFile: number;
  /** Where the split found the file unreadable (a quote never closed): the ranges end there. */
  readonly unreadable: string | null;
  /** The import's counts once its ranges are written (while they are, each range keeps its own). */
  readonly counts: ImportCounts;
  readonly objectKey: string;
  readonly reportKey: string;
  /** The error report's multipart upload, its parts, and where listing the failed rows goes on (the range, and the page in it). */
  readonly report: {
    readonly uploadId: string | null;
    readonly parts: readonly { readonly partNumber: number; readonly etag: string }[];
    readonly range: number;
    readonly startKey: PageKey | null;
    readonly written: boolean;
  };
  readonly createdBy: Actor;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly version: number;
}

/** Jobs, their failed rows and their files are kept this long after the import is created (TTL; the bucket keeps files a day). */
export const IMPORT_JOB_RETENTION_DAYS = 7;

/** When the job and its failed rows go (DynamoDB TTL, epoch seconds). */
export const importExpiresAt = (job: Pick<ImportJob, 'createdAt'>): number => Math.floor(Date.parse(job.createdAt) / 1000) + IMPORT_JOB_RETENTION_DAYS * 86_400;

export const jobToItem = (job: ImportJob): Item => ({
  ...importJobKey(job.id),
  entity: 'importJob',
  ...job,
  ...importsByAuthor.attributes({ userId: job.createdBy.id }, { createdAt: job.createdAt, id: job.id }),
  expiresAt: importExpiresAt(job),
});

export function itemToJob(item: Item | undefined): ImportJob | undefined {
  if (!item || item.entity !== 'importJob') return undefined;
  return storedValue<ImportJob>(item);
}

const mappingSchema = z.record(z.string().check(z.minLength(1), z.maxLength(200)), z.nullable(z.string().check(z.minLength(1), z.maxLength(200))));

export const importRequestSchema = z
  .strictObject({
    type: z.enum(importableCollections).check(z.meta({ description: 'Which records the rows are: contacts upsert on email, companies on domain, deals and activities on externalId (rows without one are created).' })),
    dryRun: z._default(z.boolean(), false).check(z.meta({ description: 'Validate every row and count what would be created, updated or fail, writing no record.' })),
    mapping: z.optional(mappingSchema).check(
      z.meta({
        description:
          'CSV header → field (`email`, `properties.plan`), or an association by key: `companyDomain` (contacts, deals, activities: the company with that domain), `contactEmails` (deals, activities: contacts by email), `dealExternalIds` (activities: deals by externalId), several `;`-separated; or null to skip the column. Omitted: guessed from the headers when the import starts, and shown on the import.',
      }),
    ),
    delimiter: z.optional(z.enum(csvDelimiters)).check(z.meta({ description: 'Omitted: whichever of comma, semicolon and tab the header line has most of, outside quotes.' })),
    upsertOn: z
      .optional(z.enum(['email', 'domain', 'externalId']))
      .check(z.meta({ description: 'The unique field a row finds its record by: `externalId` makes contacts and companies match on the id they had in the system they came from, rather than on email or domain. Omitted: email (contacts), domain (companies), externalId (deals, activities).' })),
  })
  .check(z.meta({ id: 'ImportCreate' }));
export type ImportRequest = z.infer<typeof importRequestSchema>;

const count = (description: string) => z.int().check(z.meta({ description }));
export const importJobSchema = z
  .object({
    id: z.string(),
    type: z.enum(importableCollections),
    dryRun: z.boolean(),
    status: z.enum(importStatuses),
    mapping: z.nullable(mappingSchema).check(z.meta({ description: 'The mapping in use: as sent, or guessed once the import started.' })),
    delimiter: z.nullable(z.enum(csvDelimiters)),
    upsertOn: z.string().check(z.meta({ description: 'The unique field rows find their record by.' })),
    rowsTotal: z.nullable(z.int()).check(z.meta({ description: 'Data rows in the file, counted by a first pass over it before any row is written; null until then.' })),
    rows: count('Data rows read so far.'),
    created: count('Records created (a dry run: that would be).'),
    updated: count('Records changed.'),
    unchanged: count('Rows whose record already had their values.'),
    failed: count('Rows not written; the error report lists each with its line and reason.'),
    createdAt: z.string(),
    startedAt: z.nullable(z.string()),
    finishedAt: z.nullable(z.string()),
    error: z.nullable(z.string()).check(z.meta({ description: 'Why the import as a whole failed (an unreadable file, a header the mapping does not match).' })),
    uploadUrl: z.nullable(z.string()).check(z.meta({ description: 'While awaiting the upload: a presigned URL to PUT the CSV file to (up to 5 GB), valid an hour; GET the import for a fresh one.' })),
    uploadExpiresAt: z.nullable(z.string()),
    errorReportUrl: z.nullable(z.string()).check(z.meta({ description: 'Once done or cancelled with failed rows: a presigned URL of a CSV of them (line, reason, the row as read), valid 15 minutes.' })),
  })
  .check(z.meta({ id: 'Import' }));
export type ImportView = z.infer<typeof importJobSchema>;
