import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { UnsubscribeLinks } from '../../domain/email/unsubscribe';
import { ConflictError } from '../../domain/shared/errors';
import { secretKey } from '../../domain/shared/keys';
import type { CrmTablePort } from '../../domain/shared/table-port';

const SECRET = 'unsubscribe';
const SIGNATURE_CHARS = 32; // 192 bits of HMAC-SHA256, base64url

/**
 * Unsubscribe links signed with HMAC-SHA256 (`<message id>.<signature>`). The key is a
 * random secret the deployment writes into its own table on first use (create-if-absent,
 * so concurrent first uses agree), encrypted at rest with the table and readable only by
 * functions with table access: no secret store to pay for or to provision by hand.
 */
export class SignedUnsubscribeLinks implements UnsubscribeLinks {
  private key: Promise<Buffer> | undefined;

  /** Without `publicApiUrl` it only checks tokens (the unsubscribe function itself). */
  constructor(
    private readonly table: CrmTablePort,
    private readonly publicApiUrl?: string,
  ) {}

  async urlFor(messageId: string): Promise<string> {
    if (!this.publicApiUrl) throw new Error('PUBLIC_API_URL is not set: this function cannot make unsubscribe links.');
    const token = `${messageId}.${await this.signature(messageId)}`;
    return `${this.publicApiUrl.replace(/\/+$/, '')}/unsubscribe?token=${encodeURIComponent(token)}`;
  }

  async messageIdOf(token: string): Promise<string | undefined> {
    const separator = token.lastIndexOf('.');
    if (separator <= 0) return undefined;
    const messageId = token.slice(0, separator);
    const given = Buffer.from(token.slice(separator + 1));
    const expected = Buffer.from(await this.signature(messageId));
    return given.length === expected.length && timingSafeEqual(given, expected) ? messageId : undefined;
  }

  private async signature(messageId: string): Promise<string> {
    return createHmac('sha256', await this.secret()).update(`unsubscribe:${messageId}`).digest('base64url').slice(0, SIGNATURE_CHARS);
  }

  private secret(): Promise<Buffer> {
    this.key ??= this.loadOrCreate().catch((error: unknown) => {
      this.key = undefined; // a failed read is retried by the next call, not remembered
      throw error;
    });
    return this.key;
  }

  private async loadOrCreate(): Promise<Buffer> {
    const stored = await this.table.getItem(secretKey(SECRET));
    if (stored) return Buffer.from(stored.value as string, 'base64url');
    const value = randomBytes(32).toString('base64url');
    try {
      await this.table.transactWrite([
        { op: 'put', item: { ...secretKey(SECRET), entity: 'secret', value, createdAt: new Date().toISOString() }, condition: { kind: 'absent' }, onConditionFailed: () => new ConflictError('exists') },
      ]);
      return Buffer.from(value, 'base64url');
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Another container wrote it first: everyone signs with that one.
      return Buffer.from((await this.table.getItem(secretKey(SECRET)))!.value as string, 'base64url');
    }
  }
}
