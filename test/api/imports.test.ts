import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Imports through the API as a client does them: create the import, PUT the file to the
 * presigned URL it answers (the local S3), start it, follow it until it ends, download the
 * error report. The import state machine runs on the local Step Functions; a step reads at
 * most IMPORT_ROWS_PER_STEP rows (a batch of 100 at least), so 126 rows take two steps.
 */

let api: TestApi;
beforeAll(async () => {
  process.env.IMPORT_ROWS_PER_STEP = '100';
  process.env.EXPORT_PART_BYTES = '2000';
  api = await startTestApi({ automations: true });
  await api.addOwners('rep-ana');
});
afterAll(async () => {
  await api?.close();
});

type Rec = Record<string, any> & { id: string };
type ImportView = {
  id: string;
  status: string;
  dryRun: boolean;
  mapping: Record<string, string | null> | null;
  delimiter: string | null;
  upsertOn: string;
  rowsTotal: number | null;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  error: string | null;
  uploadUrl: string | null;
  errorReportUrl: string | null;
};

/** Creates an import, uploads `file` through its URL, starts it and follows it until it ends. */
async function importFile(body: Record<string, unknown>, file: string | Buffer): Promise<ImportView> {
  const created = await api.request<ImportView>('POST', '/v1/imports', { body });
  expect(created.status, created.text).toBe(201);
  expect(created.headers.get('location')).toBe(`/v1/imports/${created.json!.id}`);
  expect(created.json).toMatchObject({ status: 'awaiting-upload', rows: 0 });
  // Signed without a checksum: one of an empty body would make S3 refuse the file (aws-sdk-js-v3#6994); the local S3 checks none.
  expect(created.json!.uploadUrl).not.toContain('x-amz-checksum');
  const upload = await fetch(created.json!.uploadUrl!, { method: 'PUT', body: file });
  expect(upload.status).toBe(200);
  const started = await api.request<ImportView>('POST', `/v1/imports/${created.json!.id}/start`);
  expect(started.status, started.text).toBe(202);
  for (let waited = 0; waited < 90_000; waited += 100) {
    const current = await api.request<ImportView>('GET', `/v1/imports/${created.json!.id}`);
    if (current.json!.status !== 'running') return current.json!;
    await sleep(100);
  }
  throw new Error('the import did not finish in 90 s');
}

async function contactByEmail(email: string): Promise<Rec | undefined> {
  const response = await api.request<{ items: Rec[] }>('GET', `/v1/contacts?email=${encodeURIComponent(email)}`);
  return response.json!.items[0];
}

const GOOD_ROWS = 120;
/** One bad email every 24 rows, and a company domain no company has. */
const BAD_ROWS = GOOD_ROWS / 24 + 1;
/** A file as another CRM writes it: a BOM, semicolons, CRLF, quoted cells with the delimiter and a line break, accents; and BAD_ROWS bad rows. */
function contactsFile(domain: string): Buffer {
  const rows: string[][] = [['E-mail Address', 'First Name', 'Last name', 'Company website', 'Seats', 'Tags', 'Ignored notes']];
  for (let n = 0; n < GOOD_ROWS; n++) {
    // Rows 99 and 100 (the last a step reads before it stops) span two lines: the next step starts right after them.
    rows.push([`person${n}@${domain}`, n === 0 ? 'José; "Pepe"' : `Person${n}`, n === 1 || n === 95 ? 'Two\nlines' : 'Müller', n % 2 === 0 ? 'importco.example' : '', String(n), 'imported;csv', 'anything']);
    if (n % 24 === 23) rows.push([`not-an-email-${n}`, n === 95 ? 'Bad\nrow' : 'Bad', 'Email', '', '1', '', '']);
  }
  rows.push(['nocompany@' + domain, 'No', 'Company', 'missing.example', '', '', '']);
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(stringify(rows, { delimiter: ';', record_delimiter: '\r\n', quoted_match: /[\r\n]/ }))]);
}

describe('imports', () => {
  it('imports a CSV through the upload URL with a guessed mapping, reports bad rows by line, and changes nothing the second time', { timeout: 180_000 }, async () => {
    expect((await api.request('POST', '/v1/properties/contacts', { body: { name: 'seats', label: 'Seats', type: 'number' } })).status).toBe(201);
    const company = (await api.request<Rec>('POST', '/v1/companies', { body: { name: 'Importco', domain: 'importco.example' } })).json!;
    const file = contactsFile('import.example');

    const first = await importFile({ type: 'contacts' }, file);
    expect(first, first.error ?? '').toMatchObject({ status: 'done', delimiter: ';', rowsTotal: GOOD_ROWS + BAD_ROWS, rows: GOOD_ROWS + BAD_ROWS, created: GOOD_ROWS, updated: 0, unchanged: 0, failed: BAD_ROWS });
    expect(first.mapping).toEqual({ 'E-mail Address': 'email', 'First Name': 'firstName', 'Last name': 'lastName', 'Company website': 'companyDomain', Seats: 'properties.seats', Tags: 'tags', 'Ignored notes': null });

    const jose = (await contactByEmail('person0@import.example'))!;
    expect(jose).toMatchObject({ firstName: 'José; "Pepe"', lastName: 'Müller', companyIds: [company.id], tags: ['imported', 'csv'], properties: { seats: 0 } });
    expect((await contactByEmail('person1@import.example'))!).toMatchObject({ lastName: 'Two\nlines', companyIds: [], properties: { seats: 1 } });
    // Written as the import: in the timeline, and in the audit log with the person who started it.
    const timeline = await api.request<{ items: { actor: { type: string; id: string } }[] }>('GET', `/v1/contacts/${jose.id}/timeline`);
    expect(timeline.json!.items.map((item) => item.actor)).toContainEqual(expect.objectContaining({ type: 'import', id: first.id }));
    const audit = await api.request<{ items: { actor: Record<string, string> }[] }>('GET', `/v1/audit?recordType=contact&recordId=${jose.id}`);
    expect(audit.status, audit.text).toBe(200);
    expect(audit.json!.items.map((item) => item.actor)).toContainEqual(expect.objectContaining({ type: 'import', id: first.id, onBehalfOf: 'test-admin' }));

    // The error report: each failed row with its line in the file (the header is line 1; three rows span two lines) and why.
    const report: Record<string, string>[] = parse(await (await fetch(first.errorReportUrl!)).text(), { columns: true });
    expect(report).toHaveLength(BAD_ROWS);
    expect(report[0]).toMatchObject({ line: '27', 'E-mail Address': 'not-an-email-23' });
    expect(report[0]!.reason).toContain('email (column "E-mail Address")');
    expect(report.at(-1)).toMatchObject({ line: String(GOOD_ROWS + BAD_ROWS + 4), reason: expect.stringContaining('no company has the domain missing.example') });

    const again = await importFile({ type: 'contacts' }, file);
    expect(again).toMatchObject({ status: 'done', rows: GOOD_ROWS + BAD_ROWS, created: 0, updated: 0, unchanged: GOOD_ROWS, failed: BAD_ROWS });
    expect((await contactByEmail('person0@import.example'))!.version).toBe(jose.version);
  });

  it('takes back an export of what it imported: every row found, none changed', { timeout: 120_000 }, async () => {
    // Every contact so far is one the import wrote. Unfiltered, an export reads by creation time, which nothing moves: each contact once.
    await api.automations!.streams.drain();
    const started = await api.request<{ id: string }>('POST', '/v1/exports', { body: { type: 'contacts' } });
    expect(started.status, started.text).toBe(202);
    let exported: { status: string; rows: number; downloadUrl: string | null } | undefined;
    for (let waited = 0; waited < 60_000 && exported?.status !== 'done'; waited += 100) {
      await sleep(100);
      exported = (await api.request<typeof exported>('GET', `/v1/exports/${started.json!.id}`)).json;
    }
    expect(exported).toMatchObject({ status: 'done', rows: GOOD_ROWS });
    const file = await (await fetch(exported!.downloadUrl!)).text();

    // The export's own columns: fields and properties map by name; id, version and timestamps are the server's, and skipped.
    const view = await importFile({ type: 'contacts' }, file);
    const report = view.errorReportUrl ? await (await fetch(view.errorReportUrl)).text() : '';
    expect(view, `${view.error ?? ''}\n${report}`).toMatchObject({ status: 'done', rows: GOOD_ROWS, created: 0, updated: 0, unchanged: GOOD_ROWS, failed: 0 });
    expect(view.mapping).toMatchObject({ id: null, createdAt: null, email: 'email', companyIds: 'companyIds', 'properties.seats': 'properties.seats' });
  });

  it('validates every row of a dry run and writes no record', { timeout: 120_000 }, async () => {
    const view = await importFile({ type: 'contacts', dryRun: true, mapping: { 'E-mail Address': 'email', 'First Name': 'firstName', 'Last name': 'lastName', 'Company website': 'companyDomain' } }, contactsFile('dry.example'));
    expect(view).toMatchObject({ status: 'done', dryRun: true, rows: GOOD_ROWS + BAD_ROWS, created: GOOD_ROWS, failed: BAD_ROWS });
    expect(await contactByEmail('person0@dry.example')).toBeUndefined();
    expect(await contactByEmail(`person${GOOD_ROWS - 1}@dry.example`)).toBeUndefined();
    expect(view.errorReportUrl).not.toBeNull();
  });

  it('upserts companies on their domain, and stops at a line it cannot read', { timeout: 60_000 }, async () => {
    const file = 'name,domain,industry\r\nAcme,acme-import.example,Tools\r\n"Broken, Inc",broken.example,"never closed\r\nWidgets,widgets.example,Parts\r\n';
    const view = await importFile({ type: 'companies' }, file);
    expect(view.status).toBe('failed');
    expect(view.error).toContain('line');
    const companies = await api.request<{ items: Rec[] }>('GET', '/v1/companies?domain=acme-import.example');
    expect(companies.json!.items[0]).toMatchObject({ name: 'Acme', industry: 'Tools' });

    // Started twice at once: one run, and both requests answer it.
    const twice = (await api.request<ImportView>('POST', '/v1/imports', { body: { type: 'companies' } })).json!;
    expect((await fetch(twice.uploadUrl!, { method: 'PUT', body: 'name,domain\nTwice,twice.example\n' })).status).toBe(200);
    const starts = await Promise.all([1, 2].map(() => api.request<ImportView>('POST', `/v1/imports/${twice.id}/start`)));
    expect(starts.map((start) => start.status)).toEqual([202, 202]);
    for (let waited = 0; waited < 30_000 && (await api.request<ImportView>('GET', `/v1/imports/${twice.id}`)).json!.status === 'running'; waited += 100) await sleep(100);
    expect((await api.request<ImportView>('GET', `/v1/imports/${twice.id}`)).json).toMatchObject({ status: 'done', created: 1 });

    const updated = await importFile({ type: 'companies' }, 'Company name;Website;Industry\nAcme Corp;acme-import.example;Tools\n');
    expect(updated).toMatchObject({ status: 'done', created: 0, updated: 1, mapping: { 'Company name': 'name', Website: 'domain', Industry: 'industry' } });
    expect((await api.request<{ items: Rec[] }>('GET', '/v1/companies?domain=acme-import.example')).json!.items[0]).toMatchObject({ name: 'Acme Corp' });
  });

  it('imports deals and their activities linked by key (company domain, contact emails, deal external id), upserting on externalId', { timeout: 120_000 }, async () => {
    const company = (await api.request<Rec>('POST', '/v1/companies', { body: { name: 'Dealco', domain: 'dealco.example' } })).json!;
    const ann = (await api.request<Rec>('POST', '/v1/contacts', { body: { firstName: 'Ann', email: 'ann@dealco.example' } })).json!;
    const bob = (await api.request<Rec>('POST', '/v1/contacts', { body: { firstName: 'Bob', email: 'bob@dealco.example' } })).json!;
    const deals = stringify([
      ['Deal Id', 'Deal name', 'Amount', 'Company website', 'Contact emails', 'Close date'],
      ['HS-1', 'Dealco renewal', '12000', 'dealco.example', 'ann@dealco.example;BOB@dealco.example', '2027-03-31'],
      ['HS-2', 'Dealco expansion', '5000.5', '', 'ann@dealco.example', ''],
      ['HS-3', 'Nobody deal', '10', '', 'nobody@dealco.example', ''],
      ['', 'No key deal', '1', 'dealco.example', '', ''],
    ]);
    const mapping = { 'Deal Id': 'externalId', 'Deal name': 'name', Amount: 'amount', 'Company website': 'companyDomain', 'Contact emails': 'contactEmails', 'Close date': 'expectedCloseDate' };
    const first = await importFile({ type: 'deals', mapping }, deals);
    expect(first, first.error ?? '').toMatchObject({ status: 'done', rows: 4, created: 3, failed: 1 });
    const byExternalId = async (collection: string, externalId: string) => (await api.request<{ items: Rec[] }>('GET', `/v1/${collection}?externalId=${externalId}`)).json!.items[0];
    expect(await byExternalId('deals', 'HS-1')).toMatchObject({ name: 'Dealco renewal', amount: 12000, companyId: company.id, contactIds: [ann.id, bob.id], expectedCloseDate: '2027-03-31' });
    expect(await byExternalId('deals', 'HS-2')).toMatchObject({ amount: 5000.5, contactIds: [ann.id] });
    const report: Record<string, string>[] = parse(await (await fetch(first.errorReportUrl!)).text(), { columns: true });
    expect(report).toEqual([expect.objectContaining({ line: '4', reason: 'contactEmails: no contact has the email nobody@dealco.example (import the contacts first)' })]);

    // The same file again: the deals with an externalId are found and unchanged; the one without is created again.
    // Guessed this time (another CRM's headers), to the same mapping.
    const again = await importFile({ type: 'deals' }, deals);
    expect(again.mapping).toEqual(mapping);
    expect(again).toMatchObject({ status: 'done', created: 1, unchanged: 2, failed: 1 });

    const activities = stringify([
      ['External id', 'Type', 'Notes', 'Date', 'Contact email', 'Deal id'],
      ['CALL-1', 'call', 'Talked renewal', '2026-11-02T10:00:00Z', 'ann@dealco.example', 'HS-1'],
      ['NOTE-1', 'note', 'Both deals', '2026-11-03T10:00:00Z', 'bob@dealco.example', 'HS-1;HS-2'],
      ['NOTE-2', 'note', 'Unknown deal', '2026-11-03T10:00:00Z', '', 'HS-404'],
    ]);
    // A mapping that names one column: the others are guessed.
    const logged = await importFile({ type: 'activities', mapping: { Notes: 'subject' } }, activities);
    expect(logged.mapping).toEqual({ 'External id': 'externalId', Type: 'kind', Notes: 'subject', Date: 'occurredAt', 'Contact email': 'contactEmails', 'Deal id': 'dealExternalIds' });
    expect(logged, logged.error ?? '').toMatchObject({ status: 'done', created: 2, failed: 1 });
    const hs1 = (await byExternalId('deals', 'HS-1'))!;
    const hs2 = (await byExternalId('deals', 'HS-2'))!;
    expect(await byExternalId('activities', 'NOTE-1')).toMatchObject({ kind: 'note', subject: 'Both deals', contactIds: [bob.id], dealIds: [hs1.id, hs2.id] });
    const timeline = (await api.request<{ items: Rec[] }>('GET', `/v1/deals/${hs1.id}/timeline`)).json!.items;
    expect(timeline.filter((entry) => entry.kind === 'activity').map((entry) => entry.activity.externalId).sort()).toEqual(['CALL-1', 'NOTE-1']);
    expect((await importFile({ type: 'activities', mapping: { Notes: 'subject' } }, activities)).unchanged).toBe(2);

    // The author's imports, newest first, page by page; another user's only for admins.
    const listed: string[] = [];
    for (let cursor: string | null = null, pages = 0; pages === 0 || cursor; pages++) {
      const page: { status: number; text: string; json?: { items: ImportView[]; nextCursor: string | null } } = await api.request('GET', `/v1/imports?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status, page.text).toBe(200);
      listed.push(...page.json!.items.map((item) => item.id));
      cursor = page.json!.nextCursor;
    }
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.indexOf(logged.id)).toBeLessThan(listed.indexOf(again.id));
    expect(listed.indexOf(again.id)).toBeLessThan(listed.indexOf(first.id));
    const manager = { kind: 'user', id: 'imports-manager', role: 'manager' } as const;
    expect((await api.request('GET', '/v1/imports?createdBy=test-admin', { as: manager })).status).toBe(403);
    expect((await api.request<{ items: unknown[] }>('GET', '/v1/imports', { as: manager })).json!.items).toEqual([]);

    // An externalId is unique like an email: the API refuses a second deal with one.
    const taken = await api.request<Rec>('POST', '/v1/deals', { body: { name: 'Copy', externalId: 'HS-1' } });
    expect(taken.status).toBe(409);
    expect(taken.json).toMatchObject({ field: 'externalId', existingId: hs1.id });
  });

  it('upserts contacts and companies on their externalId when asked: the id from the system they came from finds them whatever their email', { timeout: 120_000 }, async () => {
    const file = stringify([
      ['Record ID', 'Email', 'First name'],
      ['HS-C1', 'carla@extid.example', 'Carla'],
      ['HS-C2', '', 'NoEmail'],
    ]);
    const first = await importFile({ type: 'contacts', upsertOn: 'externalId' }, file);
    expect(first, first.error ?? '').toMatchObject({ status: 'done', upsertOn: 'externalId', created: 2, mapping: { 'Record ID': 'externalId', Email: 'email', 'First name': 'firstName' } });
    const carla = (await api.request<{ items: Rec[] }>('GET', '/v1/contacts?externalId=HS-C1')).json!.items[0]!;
    expect(carla).toMatchObject({ externalId: 'HS-C1', email: 'carla@extid.example' });

    // The source system changed her address: found by her id, updated, not created again. A row taking another contact's address fails, naming it.
    await api.create('contacts', { firstName: 'Other', email: 'taken@extid.example' });
    const moved = stringify([
      ['Record ID', 'Email', 'First name'],
      ['HS-C1', 'carla.new@extid.example', 'Carla'],
      ['HS-C2', '', 'NoEmail'],
      ['HS-C3', 'taken@extid.example', 'Taker'],
    ]);
    const second = await importFile({ type: 'contacts', upsertOn: 'externalId' }, moved);
    expect(second).toMatchObject({ status: 'done', created: 0, updated: 1, unchanged: 1, failed: 1 });
    const report: Record<string, string>[] = parse(await (await fetch(second.errorReportUrl!)).text(), { columns: true });
    expect(report).toEqual([expect.objectContaining({ line: '4', reason: expect.stringContaining('email') })]);
    expect((await api.request<Rec>('GET', `/v1/contacts/${carla.id}`)).json).toMatchObject({ email: 'carla.new@extid.example', externalId: 'HS-C1' });
    expect((await api.request<{ items: Rec[] }>('GET', '/v1/contacts?email=carla@extid.example')).json!.items).toEqual([]);
    expect((await importFile({ type: 'contacts', upsertOn: 'externalId' }, moved)).unchanged).toBe(2);

    // A dry run checks the values the real write would find taken: matched on email, a row may not take another contact's externalId.
    const dry = await importFile({ type: 'contacts', dryRun: true }, 'Email,Record ID\nsomeone.new@extid.example,HS-C1\n');
    expect(dry).toMatchObject({ status: 'done', upsertOn: 'email', created: 0, failed: 1 });

    // Unique through the API too, and freed when the record goes.
    const copy = await api.request<Rec>('POST', '/v1/contacts', { body: { firstName: 'Copy', externalId: 'HS-C1' } });
    expect(copy.status).toBe(409);
    expect(copy.json).toMatchObject({ field: 'externalId', existingId: carla.id });
    expect((await api.request('DELETE', `/v1/contacts/${carla.id}`)).status).toBe(204);
    expect((await api.request<Rec>('POST', '/v1/contacts', { body: { firstName: 'Carla again', externalId: 'HS-C1' } })).status).toBe(201);

    const companies = await importFile({ type: 'companies', upsertOn: 'externalId' }, 'Company name,Website,External id\nExtco,extco.example,ACC-1\n');
    expect(companies).toMatchObject({ status: 'done', created: 1 });
    const renamed = await importFile({ type: 'companies', upsertOn: 'externalId' }, 'Company name,Website,External id\nExtco Group,extco-group.example,ACC-1\n');
    expect(renamed).toMatchObject({ status: 'done', updated: 1 });
    expect((await api.request<{ items: Rec[] }>('GET', '/v1/companies?externalId=ACC-1')).json!.items[0]).toMatchObject({ name: 'Extco Group', domain: 'extco-group.example' });

    // Matching on externalId with no column feeding it would create every row again: refused when it starts.
    const unmatched = (await api.request<ImportView>('POST', '/v1/imports', { body: { type: 'companies', upsertOn: 'externalId' } })).json!;
    expect((await fetch(unmatched.uploadUrl!, { method: 'PUT', body: 'Company ID,name\nC-1,Unmatched\n' })).status).toBe(200);
    const noKeyColumn = await api.request<{ errors: { field: string }[] }>('POST', `/v1/imports/${unmatched.id}/start`);
    expect(noKeyColumn.status, noKeyColumn.text).toBe(400);
    expect(noKeyColumn.json!.errors[0]).toMatchObject({ field: 'mapping' });

    const wrongKey = await api.request<{ errors: { field: string }[] }>('POST', '/v1/imports', { body: { type: 'deals', upsertOn: 'email' } });
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.json!.errors[0]).toMatchObject({ field: 'body.upsertOn' });
  });

  it('answers what is wrong before anything runs: a bad mapping, no file yet, a cancelled import, a member', async () => {
    const badField = await api.request<{ errors: { field: string }[] }>('POST', '/v1/imports', { body: { type: 'contacts', mapping: { Email: 'emailAddress' } } });
    expect(badField.status).toBe(400);
    expect(badField.headers.get('content-type')).toContain('application/problem+json');
    expect((await api.request('POST', '/v1/imports', { body: { type: 'pipelines' } })).status).toBe(400);
    expect((await api.request('POST', '/v1/imports', { body: { type: 'contacts' }, as: { kind: 'user', id: 'rep-ana', role: 'member' } })).status).toBe(403);

    const waiting = (await api.request<ImportView>('POST', '/v1/imports', { body: { type: 'contacts', mapping: { Mail: 'email' } } })).json!;
    const early = await api.request<{ type: string }>('POST', `/v1/imports/${waiting.id}/start`);
    expect(early.status).toBe(409);
    expect((await fetch(waiting.uploadUrl!, { method: 'PUT', body: 'Email\nx@y.example\n' })).status).toBe(200);
    const wrongColumn = await api.request<{ errors: { field: string; message: string }[] }>('POST', `/v1/imports/${waiting.id}/start`);
    expect(wrongColumn.status).toBe(400);
    expect(wrongColumn.json!.errors[0]).toMatchObject({ field: 'mapping.Mail' });

    const empty = (await api.request<ImportView>('POST', '/v1/imports', { body: { type: 'companies' } })).json!;
    expect((await fetch(empty.uploadUrl!, { method: 'PUT', body: '' })).status).toBe(200);
    const noHeader = await api.request<{ errors: { field: string }[] }>('POST', `/v1/imports/${empty.id}/start`);
    expect(noHeader.status).toBe(400);
    expect(noHeader.json!.errors[0]).toMatchObject({ field: 'file' });

    const badHeader = (await api.request<ImportView>('POST', '/v1/imports', { body: { type: 'contacts' } })).json!;
    expect((await fetch(badHeader.uploadUrl!, { method: 'PUT', body: 'First Name,"Last Name,Email\nA,B,c@example.com\n' })).status).toBe(200);
    const unreadableHeader = await api.request<{ errors: { field: string }[] }>('POST', `/v1/imports/${badHeader.id}/start`);
    expect(unreadableHeader.status, unreadableHeader.text).toBe(400);
    expect(unreadableHeader.json!.errors[0]).toMatchObject({ field: 'file' });

    // Two columns feeding a contact's companies: one would win silently.
    const twoCompanySources = await api.request<{ errors: { field: string; message: string }[] }>('POST', '/v1/imports', { body: { type: 'contacts', mapping: { 'Company Ids': 'companyIds', Website: 'companyDomain' } } });
    expect(twoCompanySources.status).toBe(400);
    expect(twoCompanySources.json!.errors).toEqual([{ field: 'mapping.Website', message: expect.stringContaining('"Company Ids" feeds "companyIds"') }]);

    // A guess never feeds a field twice: the sent companyDomain leaves the companyIds column unmapped, and a guessed pair keeps the first.
    const guessedBeside = (await api.request<ImportView>('POST', '/v1/imports', { body: { type: 'contacts', dryRun: true, mapping: { Website: 'companyDomain' } } })).json!;
    expect((await fetch(guessedBeside.uploadUrl!, { method: 'PUT', body: 'Email,companyIds,Website\na@beside.example,,beside.example\n' })).status).toBe(200);
    const startedBeside = await api.request<ImportView>('POST', `/v1/imports/${guessedBeside.id}/start`);
    expect(startedBeside.status, startedBeside.text).toBe(202);
    expect(startedBeside.json!.mapping).toEqual({ Email: 'email', companyIds: null, Website: 'companyDomain' });
    const bothGuessed = (await api.request<ImportView>('POST', '/v1/imports', { body: { type: 'contacts', dryRun: true } })).json!;
    expect((await fetch(bothGuessed.uploadUrl!, { method: 'PUT', body: 'Email,companyIds,Company Website\na@beside.example,,beside.example\n' })).status).toBe(200);
    const startedBoth = await api.request<ImportView>('POST', `/v1/imports/${bothGuessed.id}/start`);
    expect(startedBoth.status, startedBoth.text).toBe(202);
    expect(startedBoth.json!.mapping).toEqual({ Email: 'email', companyIds: 'companyIds', 'Company Website': null });
    expect((await api.request('POST', '/v1/imports', { body: { type: 'contacts', mapping: { '': null } } })).status).toBe(400);

    // A header named twice: a mapping could only ever read one of the columns.
    const twice = (await api.request<ImportView>('POST', '/v1/imports', { body: { type: 'contacts' } })).json!;
    expect((await fetch(twice.uploadUrl!, { method: 'PUT', body: 'Email,First Name,Email,,\na@twice.example,A,b@twice.example,,\n' })).status).toBe(200);
    const namedTwice = await api.request<{ errors: { field: string; message: string }[] }>('POST', `/v1/imports/${twice.id}/start`);
    expect(namedTwice.status, namedTwice.text).toBe(400);
    expect(namedTwice.json!.errors).toEqual([{ field: 'mapping.Email', message: expect.stringContaining('"Email" 2 times (columns 1, 3)') }]);
    const skipped = (await api.request<ImportView>('POST', '/v1/imports', { body: { type: 'contacts', dryRun: true, mapping: { Email: null } } })).json!;
    expect((await fetch(skipped.uploadUrl!, { method: 'PUT', body: 'Email,First Name,Email,,\na@twice.example,A,b@twice.example,,\n' })).status).toBe(200);
    expect((await api.request('POST', `/v1/imports/${skipped.id}/start`)).status).toBe(202);

    const cancelled = await api.request<ImportView>('POST', `/v1/imports/${waiting.id}/cancel`);
    expect(cancelled.json).toMatchObject({ status: 'cancelled', uploadUrl: null });
    expect((await api.request('POST', `/v1/imports/${waiting.id}/start`)).status).toBe(409);
    expect((await api.request('GET', `/v1/imports/${waiting.id}`, { as: { kind: 'user', id: 'rep-ana', role: 'manager' } })).status).toBe(403);
  });
});
