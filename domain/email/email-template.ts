import * as z from '../shared/zod';

/**
 * Personalisation of email to a contact, one-off or from a sequence: `{{firstName}}`, with
 * an optional fallback for contacts that lack the field: `{{firstName | there}}`. Plain
 * text only, so nothing needs escaping. Templates are checked when they are saved (a
 * sequence) or sent (a one-off email), so a typo in a field name is a 400, not a broken
 * email days later.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*(?:\|\s*([^}]*?)\s*)?\}\}/g;

export const templateFields = ['firstName', 'lastName', 'fullName', 'email', 'title'] as const;
type TemplateField = (typeof templateFields)[number];

/** The placeholder names a template uses that are not template fields. */
export function unknownPlaceholders(template: string): string[] {
  const unknown = [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!).filter((name) => !(templateFields as readonly string[]).includes(name));
  return [...new Set(unknown)];
}

export const templateHelp = `Placeholders: ${templateFields.map((field) => `{{${field}}}`).join(', ')}; with a fallback: {{firstName | there}}.`;

/** The check every template string gets: its placeholders name template fields. */
export const knownPlaceholders = () =>
  z.superRefine((template: string, context) => {
    const unknown = unknownPlaceholders(template);
    if (unknown.length > 0) context.addIssue({ code: 'custom', input: template, message: `unknown placeholder ${unknown.map((name) => `{{${name}}}`).join(', ')}` });
  });

/** Whether a string has any placeholder at all. */
export const hasPlaceholders = (template: string) => template.search(PLACEHOLDER) >= 0;

function fieldValue(contact: Record<string, unknown>, field: TemplateField): string {
  if (field === 'fullName') return [contact.firstName, contact.lastName].filter((part) => typeof part === 'string' && part).join(' ');
  const value = contact[field];
  return typeof value === 'string' ? value : '';
}

export function renderTemplate(template: string, contact: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
    const value = (templateFields as readonly string[]).includes(name) ? fieldValue(contact, name as TemplateField) : '';
    return value || fallback || '';
  });
}
