import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../domain/shared/cursor';
import { InvalidCursorError } from '../../domain/shared/errors';
import { accessPatterns } from '../../domain/shared/keys';

const byOwner = accessPatterns.recordsByOwner('contact', 'u1');
const lastKey = { pk: 'CONTACT#1', sk: 'RECORD', gsi2pk: 'CONTACT#OWNER#u1', gsi2sk: '2026-01-01T00:00:00.000Z#1' };

describe('cursors', () => {
  it('round-trips a page key for the query that issued it', () => {
    expect(decodeCursor(byOwner, encodeCursor(byOwner, lastKey))).toEqual(lastKey);
  });

  it.each([
    ['not base64 json', '%%%'],
    ['json that is not a cursor', Buffer.from('[1,2]').toString('base64url')],
    ['another partition', encodeCursor(byOwner, { ...lastKey, gsi2pk: 'CONTACT#OWNER#u2' })],
    ['extra attributes', encodeCursor(byOwner, { ...lastKey, secret: 'x' })],
    ['missing attributes', encodeCursor(byOwner, { pk: lastKey.pk, sk: lastKey.sk })],
    ['another access pattern', encodeCursor(accessPatterns.recordsByType('contact'), lastKey)],
  ])('rejects %s', (_name, cursor) => {
    expect(() => decodeCursor(byOwner, cursor)).toThrow(InvalidCursorError);
  });

  it('rejects a sort key outside the query range', () => {
    const since = accessPatterns.recordsByOwner('contact', 'u1', '2026-06-01T00:00:00.000Z');
    expect(() => decodeCursor(since, encodeCursor(since, lastKey))).toThrow(InvalidCursorError);
  });
});
