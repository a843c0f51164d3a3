import { describe, expect, it } from 'vitest';
import { validatePropertyValues } from '../../domain/properties/validate-property-values';
import type { PropertyDefinition } from '../../domain/properties/property-definition';

const definition = (name: string, type: PropertyDefinition['type'], options?: string[]): PropertyDefinition => ({
  objectType: 'contacts',
  name,
  label: name,
  type,
  ...(options ? { options: options.map((value) => ({ value, label: value })) } : {}),
  createdAt: '',
  updatedAt: '',
  version: 1,
});
const definitions = [definition('note', 'string'), definition('seats', 'number'), definition('vip', 'boolean'), definition('renewal', 'date'), definition('tier', 'enum', ['gold', 'silver'])];

describe('custom property values', () => {
  it('accepts values of the defined types and null for clearing', () => {
    expect(validatePropertyValues({ note: 'x', seats: 3, vip: false, renewal: '2028-02-29', tier: 'gold', anything: null }, definitions)).toEqual([]);
  });

  it.each([
    ['note', 3],
    ['seats', '3'],
    ['seats', Number.POSITIVE_INFINITY],
    ['vip', 'true'],
    ['renewal', '2027-02-29'],
    ['renewal', '2027-1-1'],
    ['tier', 'bronze'],
    ['undefined_property', 'x'],
  ])('rejects %s = %s', (name, value) => {
    expect(validatePropertyValues({ [name]: value }, definitions)).toEqual([{ field: `body.properties.${name}`, message: expect.any(String) }]);
  });
});
