import * as z from '../shared/zod';
import { once } from '../shared/built-on-first-use';
import { serverFields, shortText } from '../shared/common-fields';
import type { RecordType } from '../records/record-model';

export const propertyTypes = ['string', 'number', 'boolean', 'date', 'enum'] as const;

export const objectTypeParam = z.enum(['contacts', 'companies', 'deals', 'activities']).check(z.meta({ description: 'The record type the property belongs to.' }));
export type ObjectTypeParam = z.infer<typeof objectTypeParam>;
export const objectTypeOf: Record<ObjectTypeParam, RecordType> = { contacts: 'contact', companies: 'company', deals: 'deal', activities: 'activity' };

export const propertyName = z.string().check(z.regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower_snake_case, up to 64 characters'));

/** Request and response schemas of property definitions, built on first use (shared/built-on-first-use.ts). */
export const propertySchemas = once(() => {
  const enumOptions = z.array(z.strictObject({ value: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)), label: shortText(200) })).check(
    z.minLength(1),
    z.maxLength(200),
    z.refine((options) => new Set(options.map((option) => option.value)).size === options.length, 'option values must be unique'),
  );

  const create = z
    .strictObject({
      name: propertyName,
      label: shortText(200),
      type: z.enum(propertyTypes),
      description: z.optional(z.string().check(z.maxLength(1_000))),
      options: z.optional(enumOptions).check(z.meta({ description: 'Required for enum properties, not allowed otherwise.' })),
      filterable: z
        .optional(z.boolean())
        .check(
          z.meta({
            description:
              'Lists can be filtered by it (`properties.<name>=…`; number and date properties also by range, `properties.<name>.gte`/`.lte`, and sorted by it). Set when the property is defined; each filterable property adds one list entry to each record that has a value, written when the value is set or changed (docs/data-model.md, Lists).',
          }),
        ),
    })
    .check(
      z.superRefine((definition, ctx) => {
        if (definition.type === 'enum' && !definition.options) ctx.addIssue({ code: 'custom', path: ['options'], message: 'enum properties need options' });
        if (definition.type !== 'enum' && definition.options) ctx.addIssue({ code: 'custom', path: ['options'], message: 'only enum properties have options' });
      }),
      z.meta({ id: 'PropertyCreate' }),
    );

  const update = z
    .strictObject({
      label: z.optional(shortText(200)),
      description: z.optional(z.nullable(z.string().check(z.maxLength(1_000)))),
      options: z.optional(enumOptions).check(z.meta({ description: 'Enum properties only: the full new list of options.' })),
    })
    .check(
      z.refine((patch) => Object.keys(patch).length > 0, { message: 'send at least one field to change' }),
      z.meta({ id: 'PropertyUpdate' }),
    );

  const definition = z
    .omit(
      z.object({
        ...serverFields,
        objectType: objectTypeParam,
        name: z.string(),
        label: z.string(),
        type: z.enum(propertyTypes),
        description: z.optional(z.string()),
        options: z.optional(z.array(z.object({ value: z.string(), label: z.string() }))),
        filterable: z.optional(z.boolean()),
      }),
      { id: true },
    )
    .check(z.meta({ id: 'PropertyDefinition' }));
  return { create, update, definition };
});
type PropertySchemas = ReturnType<typeof propertySchemas>;

export type PropertyCreate = z.infer<PropertySchemas['create']>;
export type PropertyUpdate = z.infer<PropertySchemas['update']>;
export type PropertyDefinition = z.infer<PropertySchemas['definition']>;
/** Upper bound on definitions per object type: validation loads them all in one Query page. */
export const MAX_PROPERTIES_PER_TYPE = 500;
