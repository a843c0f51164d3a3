import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crmEventTypes, type CrmEventType } from '../domain/events/crm-events';
import { describeEvent, eventJsonSchema } from '../domain/events/event-schemas';
import { exampleEvents } from './event-examples';

/**
 * The JSON Schema of every CRM event as a file, for integrators who validate or generate
 * code without the stack's schema registry, and the catalogue of docs/events.md (each type,
 * what raises it, an example the real code raised). Written from domain/events/ by
 * `npm run events:schemas`; test/domain/crm-events.test.ts fails when either is stale.
 */

export const EVENT_SCHEMAS_DIR = fileURLToPath(new URL('./events/', import.meta.url));
export const eventSchemaFile = (type: CrmEventType) => join(EVENT_SCHEMAS_DIR, `${type}.json`);
export const eventSchemaText = (type: CrmEventType) => `${JSON.stringify(eventJsonSchema(type), null, 2)}\n`;

export const EVENTS_DOC = fileURLToPath(new URL('../docs/events.md', import.meta.url));
const CATALOGUE_START = '<!-- catalogue: written by npm run events:schemas -->';
const CATALOGUE_END = '<!-- end of catalogue -->';

/** The catalogue section of docs/events.md: every type, what raises it, its schema file and an example. */
export function eventCatalogue(): string {
  const examples = exampleEvents();
  const sections = crmEventTypes.map((type) => {
    const { detailType, source, time, detail } = examples[type];
    const delivered = {
      version: '0',
      id: '3f1c2b9e-5d7a-4e8b-9c0d-1a2b3c4d5e6f',
      'detail-type': detailType,
      source,
      account: '123456789012',
      time: time.replace(/\.\d{3}Z$/, 'Z'),
      region: 'eu-west-1',
      resources: [],
      detail,
    };
    return `### \`${type}\`\n\n${describeEvent(type)} Schema: [schemas/events/${type}.json](../schemas/events/${type}.json).\n\n\`\`\`json\n${JSON.stringify(delivered, null, 2)}\n\`\`\`\n`;
  });
  return `${CATALOGUE_START}\n\n${sections.join('\n')}\n${CATALOGUE_END}`;
}

/** docs/events.md with its catalogue section replaced by the current one. */
export function withCurrentCatalogue(doc: string): string {
  const start = doc.indexOf(CATALOGUE_START);
  const end = doc.indexOf(CATALOGUE_END);
  if (start < 0 || end < start) throw new Error(`docs/events.md lacks the catalogue markers (${CATALOGUE_START} … ${CATALOGUE_END})`);
  return doc.slice(0, start) + eventCatalogue() + doc.slice(end + CATALOGUE_END.length);
}

export async function writeEventSchemaFiles(): Promise<string[]> {
  await mkdir(EVENT_SCHEMAS_DIR, { recursive: true });
  const wanted = new Set(crmEventTypes.map((type) => `${type}.json`));
  for (const stale of (await readdir(EVENT_SCHEMAS_DIR)).filter((file) => !wanted.has(file))) await rm(join(EVENT_SCHEMAS_DIR, stale));
  for (const type of crmEventTypes) await writeFile(eventSchemaFile(type), eventSchemaText(type));
  await writeFile(EVENTS_DOC, withCurrentCatalogue(await readFile(EVENTS_DOC, 'utf8')));
  return [...wanted];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = await writeEventSchemaFiles();
  console.log(`wrote ${written.length} event schemas to schemas/events/ and the catalogue of docs/events.md`);
}
