import { requireCapability } from '../access/permissions';
import { auditedDocuments } from '../audit/audited-documents';
import { contactModel } from '../records/contact';
import { findRecord } from '../records/get-record';
import type { Actor } from '../shared/actor';
import { once } from '../shared/built-on-first-use';
import { recordId, serverFields, shortText } from '../shared/common-fields';
import type { CoreDependencies } from '../shared/dependencies';
import { ValidationError } from '../shared/errors';
import { recordKeys, recordsByType } from '../shared/keys';
import type { IfMatch } from '../shared/optimistic-retry';
import type { Item } from '../shared/table-port';
import * as z from '../shared/zod';
import { emailSubject, emailText } from './email-message';
import { knownPlaceholders, templateHelp } from './email-template';
import { personalise, type EmailContent } from './send-email';

/**
 * Saved email templates (`/v1/email-templates`): a subject, a text body and an optional HTML
 * body with placeholders (email-template.ts), checked when saved. One-off sends name one
 * instead of writing subject and text; a preview renders one for a contact.
 */

export interface EmailTemplate {
  readonly id: string;
  readonly name: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** HTML bodies are whole documents with styles: larger than a plain text, still far inside SES's 40 MB. */
const MAX_HTML = 100_000;

export const emailTemplateSchemas = once(() => {
  const html = z
    .string()
    .check(z.minLength(1), z.maxLength(MAX_HTML), knownPlaceholders(), z.meta({ description: `HTML body, sent beside the text; placeholder values are HTML-escaped. ${templateHelp}` }));
  const fields = {
    name: shortText(200),
    subject: emailSubject.check(knownPlaceholders(), z.meta({ description: templateHelp })),
    text: emailText.check(z.meta({ description: `Plain-text body (what the timeline keeps). ${templateHelp}` })),
  };
  return {
    create: z.strictObject({ ...fields, html: z.optional(html) }).check(z.meta({ id: 'EmailTemplateCreate' })),
    update: z.partial(z.strictObject({ ...fields, html: z.nullable(html).check(z.meta({ description: 'null removes the HTML body.' })) })).check(z.meta({ id: 'EmailTemplateUpdate' })),
    template: z.object({ ...serverFields, name: z.string(), subject: z.string(), text: z.string(), html: z.optional(z.string()), createdBy: z.string() }).check(z.meta({ id: 'EmailTemplate' })),
    previewRequest: z.strictObject({ contactId: recordId }).check(z.meta({ id: 'EmailPreviewRequest' })),
    preview: z.object({ subject: z.string(), text: z.string(), html: z.optional(z.string()) }).check(z.meta({ id: 'EmailPreview' })),
  };
});
type Schemas = ReturnType<typeof emailTemplateSchemas>;
export type EmailTemplateCreate = z.infer<Schemas['create']>;
export type EmailTemplateUpdate = z.infer<Schemas['update']>;

const templateToItem = (template: EmailTemplate): Item => ({
  ...recordKeys.record('emailTemplate', template.id),
  entity: 'emailTemplate',
  ...template,
  ...recordsByType.attributes({ type: 'emailTemplate' }, { at: template.createdAt, id: template.id }),
});

function itemToTemplate(item: Item): EmailTemplate {
  const { id, name, subject, text, html, createdBy, createdAt, updatedAt, version } = item as unknown as EmailTemplate;
  return { id, name, subject, text, ...(html !== undefined ? { html } : {}), createdBy, createdAt, updatedAt, version };
}

const templates = auditedDocuments<EmailTemplate>({
  resource: 'email template',
  auditedAs: 'emailTemplate',
  key: (id) => recordKeys.record('emailTemplate', id),
  list: () => recordsByType.query({ type: 'emailTemplate' }),
  toItem: templateToItem,
  fromItem: itemToTemplate,
  audited: ['name', 'subject', 'text', 'html'],
});

/** What a company says to its customers in writing: managers decide, like sequences. */
const MANAGE = 'changeAnyRecord' as const;

/**
 * Templates are read by every role that reads, and deleted by managers. Deleting one leaves
 * the emails sent with it, and the sequence steps that copied it, as they were.
 */
export const { get: getEmailTemplate, list: listEmailTemplates, remove: deleteEmailTemplate } = templates.useCases(MANAGE);

export async function createEmailTemplate(deps: CoreDependencies, input: EmailTemplateCreate, actor: Actor): Promise<EmailTemplate> {
  requireCapability(actor, MANAGE, 'create email templates');
  const now = deps.clock.now().toISOString();
  return templates.create(deps, { id: deps.ids.next(), ...input, createdBy: actor.id, createdAt: now, updatedAt: now, version: 1 }, actor);
}



export async function updateEmailTemplate(deps: CoreDependencies, id: string, patch: EmailTemplateUpdate, actor: Actor, ifMatch?: IfMatch): Promise<EmailTemplate> {
  requireCapability(actor, MANAGE, 'change email templates');
  const { html, ...rest } = patch;
  return templates.update(deps, id, actor, ifMatch, (current) => {
    const { html: currentHtml, ...kept } = current;
    // null removes the HTML body; absent keeps it.
    const nextHtml = html === undefined ? currentHtml : (html ?? undefined);
    return { ...kept, ...rest, ...(nextHtml !== undefined ? { html: nextHtml } : {}) };
  });
}


/** The template rendered for a contact, as it would be sent to them now. */
export async function previewEmailTemplate(deps: CoreDependencies, id: string, contactId: string, actor: Actor): Promise<EmailContent> {
  requireCapability(actor, 'readRecords', 'preview email templates');
  const template = await templates.require(deps, id);
  const contact = await findRecord(deps, contactModel, contactId);
  if (!contact) throw new ValidationError(`No contact with id ${contactId}.`, [{ field: 'body.contactId', message: `contact ${contactId} does not exist` }]);
  return personalise(deps, contact, template, { senderId: actor.id });
}

/**
 * An email's words: its own subject and text, or those of the template it names (a 400
 * naming `templateIdField` when there is none). Sends and sequence steps both take them so.
 */
export async function emailContentOf(
  deps: Pick<CoreDependencies, 'table'>,
  input: { readonly subject?: string; readonly text?: string; readonly templateId?: string },
  templateIdField = 'body.templateId',
): Promise<EmailContent & { readonly templateId?: string }> {
  if (input.templateId === undefined) return { subject: input.subject!, text: input.text! };
  const template = await templates.find(deps.table, input.templateId);
  if (!template) throw new ValidationError(`No email template with id ${input.templateId}.`, [{ field: templateIdField, message: `email template ${input.templateId} does not exist` }]);
  return { subject: template.subject, text: template.text, ...(template.html !== undefined ? { html: template.html } : {}), templateId: template.id };
}
