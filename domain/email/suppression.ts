import * as z from '../shared/zod';

export const suppressionReasons = ['bounce', 'complaint', 'unsubscribe', 'manual'] as const;
export type SuppressionReason = (typeof suppressionReasons)[number];

export interface EmailSuppression {
  readonly email: string;
  readonly reason: SuppressionReason;
  readonly since: string;
  /** What caused it: the bounced message, or the user who added it. */
  readonly detail?: string;
}

export const emailSuppressionSchema = z.object({ email: z.string(), reason: z.enum(suppressionReasons), since: z.string(), detail: z.optional(z.string()) }).check(z.meta({ id: 'EmailSuppression' }));

export const suppressedAddress = z.pipe(z.string().check(z.trim(), z.maxLength(254)), z.email());

/** Users add an address by hand (a customer asked to stop); bounces and complaints are added by SES events. */
export const addSuppressionSchema = z.strictObject({ email: suppressedAddress, reason: z._default(z.enum(['unsubscribe', 'manual']), 'unsubscribe') }).check(z.meta({ id: 'EmailSuppressionCreate' }));
