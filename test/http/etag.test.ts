import { describe, expect, it } from 'vitest';
import { etagOf, versionFromIfMatch } from '../../functions/http/etag';
import { PreconditionFailedError } from '../../domain/shared/errors';

describe('ETag and If-Match', () => {
  it('reads the version from strong, weak and wildcard forms', () => {
    expect(versionFromIfMatch(etagOf(7))).toBe(7);
    expect(versionFromIfMatch('W/"7"')).toBe(7);
    expect(versionFromIfMatch('*')).toBeUndefined();
    expect(versionFromIfMatch(undefined)).toBeUndefined();
  });

  it('treats a value that names no version as a failed precondition', () => {
    expect(() => versionFromIfMatch('"abc"')).toThrow(PreconditionFailedError);
  });
});
