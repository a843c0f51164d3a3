import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';

/**
 * The raw messages SES receiving stored in the stage's inbound bucket (INBOUND_MAIL_BUCKET,
 * under INBOUND_MAIL_PREFIX, named by SES's message id). Locally, the S3 emulator's.
 */
export class S3RawMail {
  private readonly client: S3Client;

  constructor(private readonly config: Pick<Config, 'AWS_REGION' | 'S3_ENDPOINT' | 'INBOUND_MAIL_BUCKET' | 'INBOUND_MAIL_PREFIX'>) {
    this.client = new S3Client({
      region: config.AWS_REGION,
      ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } : {}),
    });
  }

  async read(receiptId: string): Promise<Buffer> {
    const Bucket = this.config.INBOUND_MAIL_BUCKET;
    if (!Bucket) throw new Error('INBOUND_MAIL_BUCKET is not set: this function cannot read received mail.');
    const object = await this.client.send(new GetObjectCommand({ Bucket, Key: `${this.config.INBOUND_MAIL_PREFIX}${receiptId}` }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }
}
