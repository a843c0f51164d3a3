/**
 * `npm run seed`: loads a realistic demo data set into a running local CRM (`npm start`)
 * through the public batch API, the way an import would. Companies and contacts upsert
 * on domain and email, and deals and activities are only added for companies this run
 * created, so running it twice adds nothing.
 */
import { loadSigningKey, mintToken } from './local-jwt';
import { loadLocalSettings } from './local-settings';

const settings = loadLocalSettings();
const baseUrl = process.env.CRM_URL ?? `http://localhost:${settings.PORT}`;
/** CRM_TOKEN seeds another deployment; by default the local key signs an admin token. */
const token = process.env.CRM_TOKEN ?? (await mintToken(loadSigningKey(settings.signingKeyPath), { kind: 'user', id: 'seed', role: 'admin' }));

// A small deterministic generator keeps the data set the same on every machine.
let state = 20_261_124;
const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
const between = (low: number, high: number) => Math.floor(low + random() * (high - low + 1));

const firstNames = ['Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Edsger', 'Radia', 'Tim', 'Katherine', 'Donald', 'Hedy', 'John', 'Sophie', 'Guido', 'Anita', 'Bjarne', 'Shafi', 'Yukihiro', 'Lynn', 'James'];
const lastNames = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'Dijkstra', 'Perlman', 'Berners-Lee', 'Johnson', 'Knuth', 'Lamarr', 'McCarthy', 'Wilson', 'van Rossum', 'Borg', 'Stroustrup', 'Goldwasser', 'Matsumoto', 'Conway', 'Gosling'];
const titles = ['CEO', 'CTO', 'VP Engineering', 'Head of Sales', 'Procurement Manager', 'Operations Lead', 'Product Manager', 'Founder', 'IT Director', 'Finance Director'];
const stages = ['subscriber', 'lead', 'mql', 'sql', 'opportunity', 'customer', 'evangelist'] as const;
const industries = ['Software', 'Manufacturing', 'Retail', 'Logistics', 'Healthcare', 'Finance', 'Education', 'Media'];
const sizes = ['1-10', '11-50', '51-200', '201-500', '501-1000', '1001-5000', '5001+'] as const;
const companyWords = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay', 'Soylent', 'Tyrell', 'Cyberdyne', 'Aperture', 'Wonka', 'Gringotts', 'Oscorp', 'Pied Piper', 'Dunder', 'Prestige', 'Massive', 'Nakatomi'];
const suffixes = ['Labs', 'Systems', 'Group', 'Industries', 'Logistics', 'Health', 'Media', 'Works'];
const owners = ['user-alice', 'user-bob', 'user-carmen', 'user-dev'];
const dealStages = ['appointment_scheduled', 'qualified_to_buy', 'presentation_scheduled', 'decision_maker_bought_in', 'contract_sent', 'closed_won', 'closed_lost'];

interface BatchResponse {
  results: { index: number; status: number; record?: { id: string }; error?: { detail: string } }[];
}

/** Each input's outcome, by its position in `inputs`: its status, and the id of the record it wrote. */
async function batch(collection: string, inputs: unknown[]): Promise<{ index: number; status: number; id?: string }[]> {
  const results: { index: number; status: number; id?: string }[] = [];
  for (let start = 0; start < inputs.length; start += 100) {
    const response = await fetch(`${baseUrl}/v1/${collection}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ inputs: inputs.slice(start, start + 100) }),
    });
    if (response.status !== 200 && response.status !== 207) throw new Error(`${collection} batch failed: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as BatchResponse;
    for (const result of body.results) {
      if (result.error) console.warn(`${collection}[${start + result.index}]: ${result.error.detail}`);
      results.push({ index: start + result.index, status: result.status, ...(result.record ? { id: result.record.id } : {}) });
    }
  }
  return results;
}

async function seed() {
  const health = await fetch(`${baseUrl}/health`).catch(() => undefined);
  if (!health?.ok) throw new Error(`No CRM answers at ${baseUrl}. Start it with \`npm start\` first.`);

  // The demo sales team, as owners before they ever sign in (records may only name owners).
  for (const owner of owners) {
    const response = await fetch(`${baseUrl}/v1/owners/${owner}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: owner.replace('user-', '').replace(/^./, (letter) => letter.toUpperCase()) }),
    });
    if (response.status !== 200) throw new Error(`Adding owner ${owner} failed: ${response.status} ${await response.text()}`);
  }

  // Reports in dollars, with rates for the other currencies the deals use.
  const reportSettings = await fetch(`${baseUrl}/v1/reports/settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ currency: 'USD', rates: { EUR: 1.08, GBP: 1.27 } }),
  });
  if (reportSettings.status !== 200) throw new Error(`Setting the reporting currency failed: ${reportSettings.status} ${await reportSettings.text()}`);

  const companyInputs = Array.from({ length: 60 }, (_, index) => {
    const name = `${companyWords[index % companyWords.length]} ${suffixes[Math.floor(index / companyWords.length) % suffixes.length]}`;
    return { name, domain: `${name.toLowerCase().replace(/[^a-z]+/g, '')}.example`, industry: pick(industries), size: pick(sizes), ownerId: pick(owners), tags: random() < 0.3 ? ['key-account'] : [] };
  });
  const companies = await batch('companies', companyInputs);
  const created = companies.filter((result) => result.status === 201 && result.id).map((result) => result.id!);

  const contactInputs = Array.from({ length: 300 }, (_, index) => {
    const firstName = pick(firstNames);
    const lastName = pick(lastNames);
    const company = companies[index % companies.length]?.id;
    return {
      firstName,
      lastName,
      email: `${firstName}.${lastName}.${index}@${companyInputs[index % companyInputs.length]!.domain}`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
      phone: `+1 555 ${String(between(100, 999))} ${String(between(1000, 9999))}`,
      title: pick(titles),
      lifecycleStage: pick(stages),
      ownerId: pick(owners),
      ...(company ? { companyIds: [company] } : {}),
    };
  });
  const contacts = await batch('contacts', contactInputs);
  const contactsByCompany = new Map<string, string[]>();
  contacts.forEach((result, index) => {
    const company = companies[index % companies.length]?.id;
    if (company && result.id) contactsByCompany.set(company, [...(contactsByCompany.get(company) ?? []), result.id]);
  });

  const dealInputs = created.flatMap((companyId) =>
    Array.from({ length: between(1, 3) }, () => ({
      name: `${pick(['Annual licence', 'Pilot', 'Expansion', 'Renewal', 'Support plan'])} ${between(2026, 2027)}`,
      amount: between(20, 900) * 100,
      currency: pick(['USD', 'USD', 'EUR', 'GBP']),
      stageId: pick(dealStages),
      expectedCloseDate: `2026-${String(between(1, 12)).padStart(2, '0')}-${String(between(1, 28)).padStart(2, '0')}`,
      ownerId: pick(owners),
      companyId,
      contactIds: (contactsByCompany.get(companyId) ?? []).slice(0, 2),
    })),
  );
  const deals = await batch('deals', dealInputs);

  const activityInputs = deals.flatMap((deal, index) => {
    const input = dealInputs[index]!;
    if (!deal.id) return [];
    const links = { dealIds: [deal.id], companyIds: [input.companyId], contactIds: input.contactIds };
    const day = () => `2026-${String(between(1, 11)).padStart(2, '0')}-${String(between(1, 28)).padStart(2, '0')}T${String(between(8, 17)).padStart(2, '0')}:00:00Z`;
    return [
      { kind: 'note', subject: 'Discovery notes', body: 'Budget confirmed; decision expected this quarter.', occurredAt: day(), ownerId: input.ownerId, ...links },
      { kind: 'call', subject: 'Intro call', durationMinutes: between(10, 60), direction: 'outbound', occurredAt: day(), ownerId: input.ownerId, ...links },
      { kind: 'meeting', subject: 'Demo', durationMinutes: 45, occurredAt: day(), ownerId: input.ownerId, ...links },
      { kind: 'task', subject: 'Send proposal', dueAt: day(), assigneeId: input.ownerId, ownerId: input.ownerId, ...links },
    ];
  });
  const activities = await batch('activities', activityInputs);

  const ok = (results: { status: number }[]) => results.filter((result) => result.status < 300).length;
  console.log(
    `Seeded ${baseUrl}: ${ok(companies)} companies (${created.length} new), ${ok(contacts)} contacts, ${ok(deals)} deals, ${ok(activities)} activities.`,
  );
}

seed().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
