import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ExportFiles } from '../../domain/exports/exports';
import type { Config } from '../config';

/**
 * Export files in the stage's export bucket (EXPORT_BUCKET): multipart uploads written part by
 * part, and presigned GETs to download them. Locally, the S3 emulator's, whose presigned URLs
 * point at its own address.
 */
export class S3ExportFiles implements ExportFiles {
  protected readonly client: S3Client;

  constructor(protected readonly config: Pick<Config, 'AWS_REGION' | 'S3_ENDPOINT' | 'EXPORT_BUCKET'>) {
    this.client = new S3Client({
      region: config.AWS_REGION,
      // Checksums only where S3 requires them: by default the SDK signs a presigned PUT with the
      // checksum of an empty body (x-amz-checksum-crc32), and S3 then refuses the file uploaded to it.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } : {}),
    });
  }

  protected get bucket(): string {
    if (!this.config.EXPORT_BUCKET) throw new Error('EXPORT_BUCKET is not set: this function cannot write or read exports.');
    return this.config.EXPORT_BUCKET;
  }

  async startUpload(key: string, contentType: string): Promise<string> {
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }));
    return UploadId!;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: string): Promise<string> {
    const { ETag } = await this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }));
    return ETag!;
  }

  async completeUpload(key: string, uploadId: string, parts: readonly { readonly partNumber: number; readonly etag: string }[]): Promise<void> {
    await this.client.send(
      new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts.map(({ partNumber, etag }) => ({ PartNumber: partNumber, ETag: etag })) } }),
    );
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      // Aborted already (the fail step retried), or expired by the bucket's lifecycle rule.
      if ((error as Error).name !== 'NoSuchUpload') throw error;
    }
  }

  downloadUrl(key: string, fileName: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentDisposition: `attachment; filename="${fileName}"` }), { expiresIn: expiresInSeconds });
  }
}
