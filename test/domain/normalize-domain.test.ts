import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeDomain } from '../../domain/records/company';

describe('normalizeDomain', () => {
  it.each([
    ['https://www.Example.com/about', 'example.com'],
    ['example.com.', 'example.com'],
    ['www.www.x.example', 'x.example'],
    ['HTTP://WWW.Acme.COM:8080/?q=1', 'acme.com'],
  ])('%s is %s', (input, normalized) => {
    expect(normalizeDomain(input)).toBe(normalized);
  });

  it('changes nothing when applied to what it made (so stored value, guard and lookup agree)', () => {
    const label = fc.stringMatching(/^(www|[a-z0-9-]{1,8})$/);
    const domain = fc.tuple(fc.constantFrom('', 'https://', 'HTTP://'), fc.array(label, { minLength: 1, maxLength: 5 }), fc.constantFrom('', '.', ':443', '/path?x#y')).map(([scheme, labels, tail]) => `${scheme}${labels.join('.')}${tail}`);
    fc.assert(fc.property(domain, (input) => normalizeDomain(normalizeDomain(input)) === normalizeDomain(input)), { seed: 20261130, numRuns: 2_000 });
  });
});
