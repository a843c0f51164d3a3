import { describe, expect, it } from 'vitest';
import { ifMatchOf } from '../../functions/http/if-match';
import { etagOf } from '../../functions/http/responses';

describe('ETag and If-Match (RFC 9110)', () => {
  it('reads a strong tag and imposes nothing for a wildcard or no header', () => {
    expect(ifMatchOf(etagOf(7))).toEqual([7]);
    expect(ifMatchOf('*')).toBeUndefined();
    expect(ifMatchOf(undefined)).toBeUndefined();
  });

  it('reads a list: any of its strong tags may match', () => {
    expect(ifMatchOf('"5", "1"')).toEqual([5, 1]);
    expect(ifMatchOf('"5","1" ,  "9"')).toEqual([5, 1, 9]);
  });

  it('compares strongly: a weak tag never matches', () => {
    expect(ifMatchOf('W/"1"')).toEqual([]);
    expect(ifMatchOf('W/"1", "2"')).toEqual([2]);
  });

  it('treats tags that name no version of ours as matching nothing', () => {
    expect(ifMatchOf('"abc"')).toEqual([]);
    expect(ifMatchOf('1')).toEqual([]);
    expect(ifMatchOf('"a,b", "3"')).toEqual([3]);
  });
});
