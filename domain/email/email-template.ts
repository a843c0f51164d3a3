import * as z from '../shared/zod';

/**
 * Personalisation of email to a contact, one-off, from a saved template, a sequence or a workflow:
 * `{{firstName}}`, `{{company.name}}` (the contact's primary company, else its first),
 * `{{deal.name}}` (the deal a workflow runs on), `{{sender.name}}` (who the email goes out
 * for: the sending user, whoever enrolled the contact, the record's owner), with an optional
 * fallback for contacts that lack the field: `{{firstName | there}}`. In an HTML body the
 * values are HTML-escaped. Templates are checked when they are saved (a sequence, a saved
 * template) or sent (a one-off email), so a typo in a field name is a 400, not a broken
 * email days later.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z]+(?:\.[A-Za-z]+)?)\s*(?:\|\s*([^}]*?)\s*)?\}\}/g;

export const templateFields = [
  'firstName',
  'lastName',
  'fullName',
  'email',
  'title',
  'company.name',
  'company.domain',
  'deal.name',
  'deal.amount',
  'deal.currency',
  'deal.expectedCloseDate',
  'sender.name',
  'sender.email',
] as const;
type TemplateField = (typeof templateFields)[number];

/** What a template is rendered with: the contact, their company when the template names one, the deal and the sender when known. */
export interface TemplateContext {
  readonly contact: Record<string, unknown>;
  readonly company?: Record<string, unknown>;
  /** The deal the email is about (a workflow on a deal); absent elsewhere: `{{deal.name | your project}}`. */
  readonly deal?: Record<string, unknown>;
  /** The owner the email goes out for: their name and address, as the owners list has them. */
  readonly sender?: { readonly name?: string; readonly email?: string };
}

/** Whether rendering these templates needs the contact's company (`company`) or the sender (`sender`). */
export const namesObject = (object: 'company' | 'sender', templates: readonly (string | undefined)[]) =>
  templates.some((template) => template !== undefined && new RegExp(`\\{\\{\\s*${object}\\.`).test(template));

/** Anything between double braces, well-formed or not, and a `{{` that is never closed. */
const BRACED = /\{\{[^{}]*\}\}|\{\{/g;
const ONE_PLACEHOLDER = new RegExp(`^${PLACEHOLDER.source}$`);

/**
 * What a template names that is not a template field: misspelled fields (`{{frstName}}`), and
 * braces that are no placeholder at all (`{{first_name}}`, `{{ firstName }`), which would
 * otherwise reach the recipient as they are.
 */
export function unknownPlaceholders(template: string): string[] {
  const unknown = [...template.matchAll(BRACED)]
    .map((match) => {
      const parsed = ONE_PLACEHOLDER.exec(match[0]);
      // Not a placeholder at all: named as written (an unclosed one with what follows it).
      if (!parsed) return match[0] === '{{' ? template.slice(match.index, match.index + 24) : match[0];
      return (templateFields as readonly string[]).includes(parsed[1]!) ? undefined : parsed[1]!;
    })
    .filter((name): name is string => name !== undefined);
  return [...new Set(unknown)];
}

/** How a problem names what `unknownPlaceholders` found. */
const asWritten = (name: string) => (name.startsWith('{{') ? name : `{{${name}}}`);

export const templateHelp = `Placeholders: ${templateFields.map((field) => `{{${field}}}`).join(', ')}; with a fallback: {{firstName | there}}.`;

/** The check every template string gets: its placeholders name template fields. */
export const knownPlaceholders = () =>
  z.superRefine((template: string, context) => {
    const unknown = unknownPlaceholders(template);
    if (unknown.length > 0) context.addIssue({ code: 'custom', input: template, message: `unknown placeholder ${unknown.map(asWritten).join(', ')}` });
  });

/** Whether a string has any placeholder at all. */
export const hasPlaceholders = (template: string) => template.search(PLACEHOLDER) >= 0;

function fieldValue({ contact, company, deal, sender }: TemplateContext, field: TemplateField): string {
  if (field === 'fullName') return [contact.firstName, contact.lastName].filter((part) => typeof part === 'string' && part).join(' ');
  const [object, name] = field.includes('.') ? (field.split('.') as [string, string]) : ['contact', field];
  const source: Record<string, unknown> | undefined = { contact, company, deal, sender }[object];
  const value = source?.[name];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (character) => htmlEntities[character]!);

/** The template with each placeholder filled in; `asHtml` escapes the values (and fallbacks) for an HTML body. */
export function renderTemplate(template: string, context: TemplateContext, { asHtml = false } = {}): string {
  return template.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
    const value = (templateFields as readonly string[]).includes(name) ? fieldValue(context, name as TemplateField) : '';
    const filled = value || fallback || '';
    return asHtml ? escapeHtml(filled) : filled;
  });
}
