/**
 * `npm run seed`: a year of a small sales team's work, in the running local CRM (`npm start`):
 * owners and a team, companies and contacts with names from many countries, deals created,
 * moved, won and lost across twelve months in three currencies, calls, meetings, notes and
 * emails spread over time, tasks done, due and overdue. Every write goes through the same use
 * cases as the API, with the clock set to the day it happened, so timelines, search, the
 * reports and the dashboard all show a true year. Running it again adds nothing.
 *
 * It writes to the table of the CRM `npm start` runs (found in CRM_DATA_DIR), or with
 * `--table <name> [--endpoint <DynamoDB endpoint>]` to another one (AWS credentials from
 * the environment, as `npm run migrate` takes them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../adapters/config';
import { createRuntime, type CrmRuntime } from '../adapters/runtime';
import { addOwner } from '../domain/owners/owners';
import { companyModel } from '../domain/records/company';
import { contactModel } from '../domain/records/contact';
import { createRecord } from '../domain/records/create-record';
import { dealModel } from '../domain/records/deal';
import { activityModel } from '../domain/records/activity';
import { findByUniqueValue } from '../domain/records/get-record';
import type { RecordModel } from '../domain/records/record-model';
import { updateRecord } from '../domain/records/update-record';
import { putReportSettings } from '../domain/reports/report-settings';
import type { Actor } from '../domain/shared/actor';
import { createTeam } from '../domain/teams/teams';
import { loadLocalSettings, localRuntimeFile } from './local-settings';

const { values: options } = parseArgs({ options: { table: { type: 'string' }, endpoint: { type: 'string' } }, strict: true });
const settings = loadLocalSettings();
function tableOfLocalRuntime(): { tableName: string; dynamodbEndpoint: string } {
  const file = localRuntimeFile(settings.dataDir);
  if (!existsSync(file)) throw new Error(`No running local CRM found in ${settings.dataDir}: start it with \`npm start\` first (or pass --table).`);
  return JSON.parse(readFileSync(file, 'utf8')) as { tableName: string; dynamodbEndpoint: string };
}
const target = options.table ? { tableName: options.table, dynamodbEndpoint: options.endpoint } : tableOfLocalRuntime();
const real = createRuntime(loadConfig({ ...process.env, TABLE_NAME: target.tableName, ...(target.dynamodbEndpoint ? { DYNAMODB_ENDPOINT: target.dynamodbEndpoint } : {}) }));

/** The simulated day: every write of the seed happens "then". */
let now = new Date();
const runtime: CrmRuntime = { ...real, clock: { now: () => new Date(now), sleep: real.clock.sleep } };

// A small deterministic generator keeps the data set the same on every machine.
let state = 20_261_130;
const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
const between = (low: number, high: number) => Math.floor(low + random() * (high - low + 1));
const DAY = 86_400_000;

const owners = [
  { id: 'user-alice', name: 'Alice Martin', email: 'alice@crm.example' },
  { id: 'user-bob', name: 'Bob Okafor', email: 'bob@crm.example' },
  { id: 'user-carmen', name: 'Carmen Ruiz', email: 'carmen@crm.example' },
  { id: 'user-dev', name: 'Dev Patel', email: 'dev@crm.example' },
  { id: 'user-eun', name: 'Eun-ji Park', email: 'eunji@crm.example' },
];
const manager: Actor = { type: 'user', id: 'seed-manager', role: 'admin' };
const asOwner = (id: string): Actor => ({ type: 'user', id, role: 'member' });

const firstNames = ['José', 'Zoë', 'Björn', 'Ingrid', 'Małgorzata', 'Søren', 'Chloé', 'Jürgen', 'Siobhán', 'Nguyễn', 'Aylin', 'Kwame', 'Priya', 'Mateo', 'Léa', 'Ana', 'Tomáš', 'Hana', 'Olumide', 'Grace'];
const lastNames = ['Müller', 'García', 'Øyen', 'Nowak', "O'Brien", 'Dubois', 'Yılmaz', 'Mensah', 'Sharma', 'Fernández', 'Novák', 'Tanaka', 'Smith', 'Lefèvre', 'Kowalski', 'Mueller', 'Andersson', 'Costa', 'Ivanova', 'Berners-Lee'];
const companyNames = ['Acme Robotics', 'Globex', 'Initech', 'Umbrella Health', 'Stark Logistics', 'Wayne Media', 'Hooli', 'Vandelay Imports', 'Tyrell Systems', 'Cyberdyne', 'Aperture Labs', 'Wonka Foods', 'Nakatomi Trading', 'Soylent Works', 'Pied Piper', 'Dunder Paper', 'Prestige Group', 'Massive Dynamic', 'Oscorp', 'Gringotts Finance', 'Société Générale du Nord', 'Müller Maschinenbau', 'Lindqvist AB', 'Øresund Shipping'];
const industries = ['Software', 'Manufacturing', 'Retail', 'Logistics', 'Healthcare', 'Finance', 'Media'];
const titles = ['CEO', 'CTO', 'VP Engineering', 'Head of Sales', 'Procurement Manager', 'Operations Lead', 'Finance Director'];
const openStages = ['appointment_scheduled', 'qualified_to_buy', 'presentation_scheduled', 'decision_maker_bought_in', 'contract_sent'];
const currencies = ['USD', 'USD', 'USD', 'EUR', 'EUR', 'GBP'];
const domainOf = (name: string) => `${name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`;

const create = (model: RecordModel, input: Record<string, unknown>, actor: Actor = manager) => createRecord(runtime, model, model.createSchema.parse(input), actor);
const update = (model: RecordModel, id: string, patch: Record<string, unknown>, actor: Actor = manager) => updateRecord(runtime, model, id, model.updateSchema.parse(patch), { actor });

/** What happens on which day: the seed runs these in time order, the clock set to each. */
const plan: { at: number; order: number; run: () => Promise<unknown> }[] = [];
const at = (when: number, run: () => Promise<unknown>) => plan.push({ at: when, order: plan.length, run });

async function seed(): Promise<void> {
  // Companies are created on different days: any of them there means an earlier run.
  for (const name of companyNames) {
    if (await findByUniqueValue(runtime, companyModel, domainOf(name))) {
      console.log(`Already seeded (${domainOf(name)} exists): nothing added. To seed again, stop npm start and remove its data folder.`);
      return;
    }
  }
  const today = Date.now();
  const start = today - 365 * DAY;
  now = new Date(start);
  for (const owner of owners) await addOwner(runtime, owner.id, { email: owner.email, name: owner.name }, manager);
  await createTeam(runtime, { name: 'Field sales', memberIds: owners.slice(0, 3).map((owner) => owner.id) }, manager);
  await createTeam(runtime, { name: 'Inside sales', memberIds: owners.slice(3).map((owner) => owner.id) }, manager);
  await putReportSettings(runtime, { currency: 'USD', rates: { EUR: 1.08, GBP: 1.27 } }, manager);

  const counts = { companies: 0, contacts: 0, deals: 0, won: 0, lost: 0, activities: 0 };

  for (const [index, name] of companyNames.entries()) {
    const owner = pick(owners).id;
    const createdAt = start + between(0, 120) * DAY;
    at(createdAt, async () => {
      const company = await create(companyModel, { name, domain: domainOf(name), industry: pick(industries), ownerId: owner });
      counts.companies++;
      // People at the company, who move through the lifecycle as the year goes on.
      for (let person = 0; person < between(2, 5); person++) {
        const firstName = pick(firstNames);
        const lastName = pick(lastNames);
        const joined = createdAt + between(0, 200) * DAY;
        at(joined, async () => {
          const contact = await create(contactModel, {
            firstName,
            lastName,
            email: `${domainOf(firstName).replace('.example', '')}.${domainOf(lastName).replace('.example', '')}.${index}-${person}@${domainOf(name)}`,
            phone: `+${pick(['1 415', '44 20', '49 30', '33 1'])} ${between(100, 999)} ${between(1000, 9999)}`,
            title: pick(titles),
            lifecycleStage: 'subscriber',
            ownerId: owner,
            companyIds: [company.id],
          });
          counts.contacts++;
          let when = joined;
          for (const stage of ['lead', 'mql', 'sql', 'opportunity', 'customer'].slice(0, between(0, 5))) {
            when += between(5, 40) * DAY;
            if (when < today) at(when, () => update(contactModel, contact.id, { lifecycleStage: stage }));
          }
          if (person === 0) planDeals(company.id, contact.id, owner, joined, start, today, counts);
        });
      }
    });
  }

  plan.sort((a, b) => a.at - b.at || a.order - b.order);
  // Work added while running (a company's contacts, a deal's steps) goes in time order too.
  for (let next = plan.shift(); next; next = plan.shift()) {
    now = new Date(Math.min(next.at, today));
    await next.run();
    plan.sort((a, b) => a.at - b.at || a.order - b.order);
  }
  console.log(
    `Seeded a year into ${target.tableName}: ${owners.length} owners in 2 teams, ${counts.companies} companies, ${counts.contacts} contacts, ${counts.deals} deals (${counts.won} won, ${counts.lost} lost), ${counts.activities} activities.`,
  );
}

/** A deal's year: created, logged calls and meetings, moved stage by stage, then won, lost, or still open. */
function planDeals(companyId: string, contactId: string, ownerId: string, from: number, start: number, today: number, counts: Record<string, number>): void {
  for (let dealIndex = 0; dealIndex < between(2, 4); dealIndex++) {
    // Spread over the year, so some have closed and some are still in the pipeline.
    const created = Math.max(from, start + between(0, 364) * DAY);
    if (created >= today) continue;
    const owner = asOwner(ownerId);
    at(created, async () => {
      const amount = between(20, 900) * 100;
      const deal = await create(dealModel, {
        name: `${pick(['Annual licence', 'Pilot', 'Expansion', 'Renewal', 'Support plan'])} ${new Date(created).getUTCFullYear()}`,
        amount,
        currency: pick(currencies),
        ownerId,
        companyId,
        contactIds: [contactId],
        expectedCloseDate: new Date(created + between(30, 120) * DAY).toISOString().slice(0, 10),
      }, owner);
      counts.deals!++;
      let when = created;
      for (const kind of ['call', 'meeting', 'note', 'email', 'call'].slice(0, between(2, 5))) {
        when += between(2, 12) * DAY;
        if (when >= today) break;
        at(when, async () => {
          await create(activityModel, { kind, subject: `${kind[0]!.toUpperCase()}${kind.slice(1)} about ${deal.name}`, ownerId, occurredAt: new Date(when).toISOString(), dealIds: [deal.id], contactIds: [contactId], companyIds: [companyId] }, owner);
          counts.activities!++;
        });
      }
      // A follow-up task: done when it was, or still due (some of them overdue).
      const due = created + between(3, 60) * DAY;
      at(created, async () => {
        const task = await create(activityModel, { kind: 'task', subject: `Follow up on ${deal.name}`, ownerId, assigneeId: ownerId, dueAt: new Date(due).toISOString(), dealIds: [deal.id] }, owner);
        counts.activities!++;
        if (due < today && random() < 0.7) at(due, () => update(activityModel, task.id, { taskStatus: 'done' }, owner));
      });
      let step = 0;
      for (let stage = 1; stage < openStages.length && random() < 0.75; stage++) {
        step += between(7, 30) * DAY;
        if (created + step >= today) return;
        at(created + step, () => update(dealModel, deal.id, { stageId: openStages[stage] }, owner));
      }
      const closedAt = created + step + between(5, 25) * DAY;
      if (closedAt >= today) return;
      const won = random() < 0.55;
      at(closedAt, async () => {
        await update(dealModel, deal.id, { stageId: won ? 'closed_won' : 'closed_lost' }, owner);
        counts[won ? 'won' : 'lost']!++;
      });
    });
  }
}

seed()
  .catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  })
  .finally(() => real.dynamoDbClient.destroy());
