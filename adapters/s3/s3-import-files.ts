import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { parse, type Info, type Options } from 'csv-parse';
import type { CsvDelimiter, FilePosition } from '../../domain/imports/import-job';
import { detectDelimiter } from '../../domain/imports/import-rows';
import { UnreadableFileError, type CsvRecord, type FileHeader, type ImportFiles } from '../../domain/imports/imports';
import { S3ExportFiles } from './s3-export-files';

/** A header line longer than this is not a CSV header. */
const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * Import files in the stage's export bucket, under `imports/`: uploaded through presigned
 * PUTs, read back with csv-parse (RFC 4180 quoting, CRLF or LF, a UTF-8 BOM) from a byte
 * offset (to the end of its range) with a ranged GET, so a step reads on where the last stopped; the error report is
 * written as an export file is.
 */
export class S3ImportFiles extends S3ExportFiles implements ImportFiles {
  uploadUrl(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new PutObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds });
  }

  async readHeader(key: string, delimiter: CsvDelimiter | null): Promise<FileHeader | undefined> {
    // The whole object asked for, and read no further than a header can be: a ranged GET of an empty object is an error locally (s3rver).
    const body = await this.bodyFrom(key);
    if (body === 'missing') return undefined;
    const head = body === 'empty' ? '' : await streamText(body, MAX_HEADER_BYTES);
    const firstLine = head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
    const used = delimiter ?? detectDelimiter(firstLine);
    try {
      for await (const { record, info } of parsing(Buffer.from(head), { delimiter: used, bom: true, to: 1 })) {
        return { headers: record, delimiter: used, dataStart: { offset: info.bytes, line: info.lines } };
      }
    } catch (error) {
      // csv-parse's own error (a quote in the header never closed): the domain's, for a 400.
      if (error instanceof UnreadableFileError || !(error instanceof Error)) throw error;
      throw new UnreadableFileError(1, error.message.split(':')[0]!);
    }
    return { headers: [], delimiter: used, dataStart: { offset: 0, line: 0 } };
  }

  async *readRecords(key: string, from: FilePosition, delimiter: CsvDelimiter, to?: number): AsyncIterable<CsvRecord> {
    const body = await this.bodyFrom(key, from.offset, to);
    if (body === 'missing' || body === 'empty') return;
    let previousEnd = from.line;
    let previousEmpty = 0;
    try {
      for await (const { record, info } of parsing(body, { delimiter, bom: from.offset === 0 }, from.line)) {
        // Lines left empty are skipped; the record starts after them.
        const line = previousEnd + 1 + (info.empty_lines - previousEmpty);
        previousEnd = from.line + info.lines;
        previousEmpty = info.empty_lines;
        yield { values: record, line, next: { offset: from.offset + info.bytes, line: previousEnd } };
      }
    } finally {
      body.destroy();
    }
  }

  /** The object from `start` on (up to, not including, `end`); `missing` when there is no object, `empty` when it has nothing from `start` on. */
  private async bodyFrom(key: string, start = 0, end?: number): Promise<Readable | 'missing' | 'empty'> {
    const range = end !== undefined ? `bytes=${start}-${end - 1}` : start > 0 ? `bytes=${start}-` : undefined;
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: range } : {}) }));
      return Body as Readable;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'NoSuchKey') return 'missing';
      // S3 answers 416 for a range that starts at or past the end: an empty file, or one read to its end.
      if (name === 'InvalidRange' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return 'empty';
      throw error;
    }
  }
}

/** The stream's first `maxBytes` (about: whole chunks) as text; the rest is not read. */
async function streamText(body: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (bytes >= maxBytes) break;
  }
  body.destroy();
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Records with their parse info. A record the parser cannot read ends the file for the import:
 * the records before it come first, then the domain's UnreadableFileError, at the line after
 * the last record read (where the unreadable one starts; the parser's own line is where it
 * gave up, often the end of the file).
 */
async function* parsing(input: Readable | Buffer, options: Options, firstLine = 0): AsyncIterable<{ record: string[]; info: Info }> {
  // Rows end at CRLF or LF, fixed rather than detected: detection looks at the first row a step reads, which differs from step to step.
  const parser = parse({ ...options, record_delimiter: ['\r\n', '\n'], info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true });
  let skipped: Error | undefined;
  parser.on('skip', (error: Error) => (skipped ??= error));
  if (Buffer.isBuffer(input)) parser.end(input);
  else input.pipe(parser);
  let lastLine = firstLine;
  // csv-parse counts a CRLF inside quotes as two lines, its CR's and its LF's: lines an editor shows are fewer by one for each.
  let crlfInCells = 0;
  const unreadable = (error: Error) => new UnreadableFileError(lastLine + 1, error.message.split(':')[0]!);
  for await (const entry of parser as AsyncIterable<{ record: string[]; info: Info }>) {
    if (skipped && (skipped as { lines?: number }).lines !== undefined && entry.info.lines >= (skipped as unknown as { lines: number }).lines) throw unreadable(skipped);
    for (const cell of entry.record) crlfInCells += cell.split('\r\n').length - 1;
    const info = { ...entry.info, lines: entry.info.lines - crlfInCells };
    lastLine = firstLine + info.lines;
    yield { record: entry.record, info };
  }
  if (skipped) throw unreadable(skipped);
}
