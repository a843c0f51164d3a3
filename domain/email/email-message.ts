import * as z from '../shared/zod';
import { longText, recordId } from '../shared/common-fields';
import { knownPlaceholders, templateHelp } from './email-template';

/**
 * The life of one sent email. `sending` is claimed before the mail service is called and
 * only ever moves forward, so a retried send with the same message id (a sequence's run
 * and step, an API request's Idempotency-Key) finds the claim and does not mail twice.
 */
export const emailStatuses = ['sending', 'sent', 'delivered', 'bounced', 'rejected', 'replied', 'complained'] as const;
export type EmailStatus = (typeof emailStatuses)[number];

/**
 * Later SES events never undo earlier, stronger ones: events can arrive out of order (a
 * delivery after the complaint it caused) and more than once.
 */
const statusRank: Record<EmailStatus, number> = { sending: 0, sent: 1, delivered: 2, bounced: 3, rejected: 3, replied: 3, complained: 4 };
export const outranks = (next: EmailStatus, current: EmailStatus) => statusRank[next] > statusRank[current];

export type EmailSource =
  | { readonly kind: 'api' }
  | { readonly kind: 'sequence'; readonly sequenceId: string; readonly runId: string; readonly stepIndex: number }
  | { readonly kind: 'workflow'; readonly workflowId: string; readonly runId: string; readonly step: number };

/** The email activity on the contact's timeline has the message's id. */
export interface EmailMessage {
  readonly id: string;
  readonly contactId: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly status: EmailStatus;
  /** Why the status is what it is: a bounce type, SES's rejection reason. */
  readonly statusDetail?: string;
  readonly source: EmailSource;
  /** Who sent it: the user or client, or the sequence acting for whoever enrolled the contact (`onBehalfOf`). */
  readonly sentBy: { readonly type: string; readonly id: string; readonly onBehalfOf?: string };
  /** The id SES gave the message; SES events carry it. */
  readonly providerMessageId?: string;
  /** The saved template its words came from, if any (copied in when sent: the template may change later). */
  readonly templateId?: string;
  /** When its recipient followed its unsubscribe link (first time only). */
  readonly unsubscribedAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** A subject is one header line: a line break in it could smuggle in headers. */
export const emailSubject = z.string().check(z.trim(), z.minLength(1), z.maxLength(200), z.regex(/^[^\u0000-\u001F\u007F]*$/, 'one line, without control characters'));
export const emailText = z.pipe(longText, z.string().check(z.trim(), z.minLength(1, 'text must not be empty'), knownPlaceholders()));

/**
 * An email's words are its own subject and text, or a saved template's (`templateId`):
 * exactly one of the two, each field named when it is missing or too much.
 */
export const ownWordsOrTemplate = () => z.superRefine((body: EmailWords, context) => addWordsIssues(body, context));

type EmailWords = { subject?: string; text?: string; templateId?: string };

/** The issues of `ownWordsOrTemplate`, for checks that test more around them (a sequence step may be a task instead). */
export function addWordsIssues(body: EmailWords, context: { addIssue(issue: { code: 'custom'; input: unknown; path: string[]; message: string }): void }): void {
  const ownWords = body.subject !== undefined || body.text !== undefined;
  if (body.templateId !== undefined && ownWords) context.addIssue({ code: 'custom', input: body, path: ['templateId'], message: 'send either templateId, or subject and text' });
  if (body.templateId !== undefined) return;
  for (const field of ['subject', 'text'] as const) {
    if (body[field] === undefined) context.addIssue({ code: 'custom', input: body, path: [field], message: 'required (or send templateId)' });
  }
}

export const templateIdField = () => recordId.check(z.meta({ description: 'A saved template (/v1/email-templates) whose words to use instead of subject and text.' }));

export const sendEmailSchema = z
  .strictObject({
    subject: z.optional(emailSubject.check(knownPlaceholders(), z.meta({ description: templateHelp }))),
    text: z.optional(emailText.check(z.meta({ description: `Plain-text body; also stored as the email activity. ${templateHelp}` }))),
    templateId: z.optional(templateIdField()),
  })
  .check(ownWordsOrTemplate(), z.meta({ id: 'EmailSend' }));
export type SendEmailInput = z.infer<typeof sendEmailSchema>;

export const emailMessageSchema = z
  .object({
    id: z.string(),
    contactId: z.string(),
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    status: z.enum(emailStatuses),
    statusDetail: z.optional(z.string()),
    source: z.union([
      z.object({ kind: z.literal('api') }),
      z.object({ kind: z.literal('sequence'), sequenceId: z.string(), runId: z.string(), stepIndex: z.int() }),
      z.object({ kind: z.literal('workflow'), workflowId: z.string(), runId: z.string(), step: z.int() }),
    ]),
    sentBy: z.object({ type: z.string(), id: z.string(), onBehalfOf: z.optional(z.string()) }),
    providerMessageId: z.optional(z.string()),
    templateId: z.optional(z.string()).check(z.meta({ description: 'The saved template its words came from.' })),
    unsubscribedAt: z.optional(z.string()).check(z.meta({ description: 'When its recipient unsubscribed through its link.' })),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.int(),
  })
  .check(z.meta({ id: 'EmailMessage' }));

export const emailMessageId = recordId;

/** Addresses compare case-insensitively everywhere in the CRM (the contact email guard does the same). */
export const normalizeEmail = (address: string) => address.trim().toLowerCase();
