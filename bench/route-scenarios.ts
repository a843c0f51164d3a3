import { ulid } from 'ulid';
import { listShards } from '../domain/shared/keys';
import type { ApiResponse, BenchEnvironment } from './bench-environment';
import { contactInput } from './contact-items';
import { createThroughBatch } from './fixtures';

/**
 * The routes the benchmarks measure, each with the request it sends on iteration i,
 * how the raw replay of that request avoids the route's own items, and the fewest
 * DynamoDB calls its access pattern needs (reasoned from docs/data-model.md).
 */

export interface ScenarioRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly status: number;
}

export interface ScenarioContext {
  readonly env: BenchEnvironment;
  /** Contacts already in the table, for reads and references. */
  readonly contactIds: readonly string[];
  /** A contact with updates and linked activities (fixtures.ts), for timeline pages. */
  readonly timelineContactId: string;
}

export interface PreparedScenario {
  request(i: number): ScenarioRequest;
  /** Runs request i some other way than over HTTP (a state machine's Task invoking its Lambda). */
  invoke?(i: number): Promise<ApiResponse>;
  /**
   * Strings to replace in the calls route request i made, so its raw replay writes
   * fresh items (same shape, same sizes) instead of colliding with the route's.
   */
  rawSubstitutions(i: number, response: ApiResponse): Map<string, string>;
  /**
   * The request only reads: it is sent once untimed first, so the route and its raw replay
   * both read items DynamoDB Local has just read (it caches pages, and otherwise only the
   * replay, which always follows the route, would find them warm).
   */
  readonly readsOnly?: boolean;
}

export interface Minimum {
  /** DynamoDB calls, and how many of them must wait for an earlier one. */
  readonly calls: number;
  readonly sequential: number;
  readonly why: string;
}

export interface RouteScenario {
  readonly name: string;
  /** As in functions/manifest.ts: says which Lambda serves it. */
  readonly routeKey: string;
  /** The Lambda and its memory, for what no HTTP route serves. */
  readonly function?: { readonly name: string; readonly memoryMb: number };
  readonly minimum: Minimum;
  /** Creates what `count` requests need (not timed). */
  prepare(context: ScenarioContext, count: number): Promise<PreparedScenario>;
}

const readOnly = (request: (i: number) => ScenarioRequest): PreparedScenario => ({ request, rawSubstitutions: () => new Map(), readsOnly: true });
/** Same length as "route", so substituted items keep their size. */
const RAW_EMAIL_TAG = 'rawxx';

export const getContact: RouteScenario = {
  name: 'get contact',
  routeKey: 'GET /v1/contacts/{id}',
  minimum: { calls: 1, sequential: 1, why: 'GetItem by id (getRecord)' },
  async prepare({ contactIds }) {
    return readOnly((i) => ({ method: 'GET', path: `/v1/contacts/${contactIds[(i * 7_919) % contactIds.length]}`, status: 200 }));
  },
};

export const listContacts: RouteScenario = {
  name: 'list contacts (25)',
  routeKey: 'GET /v1/contacts',
  minimum: { calls: listShards.recordsByType.contact, sequential: 1, why: `one wave of ${listShards.recordsByType.contact} parallel Queries of gsi1 (recordsByType, one per shard)` },
  async prepare() {
    return readOnly(() => ({ method: 'GET', path: '/v1/contacts?limit=25', status: 200 }));
  },
};

export const searchContacts: RouteScenario = {
  name: 'search page (stage, 25)',
  routeKey: 'GET /v1/contacts',
  minimum: { calls: listShards.recordsByFacet, sequential: 1, why: `one wave of ${listShards.recordsByFacet} parallel Queries of gsi3 (recordsByFacet, one per shard), no filter expression` },
  async prepare() {
    return readOnly(() => ({ method: 'GET', path: '/v1/contacts?lifecycleStage=customer&limit=25', status: 200 }));
  },
};

export const listContactsCombined: RouteScenario = {
  name: 'contacts by owner + stage, by name (25)',
  routeKey: 'GET /v1/contacts',
  minimum: {
    calls: listShards.listEntries + 1,
    sequential: 2,
    why: `one wave of ${listShards.listEntries} parallel Queries of gsi1 (recordsByView: ownerId + lifecycleStage sorted by name, one per shard), then one BatchGetItem of the page's records`,
  },
  async prepare() {
    return readOnly(() => ({ method: 'GET', path: '/v1/contacts?ownerId=user-1&lifecycleStage=lead&sort=name&limit=25', status: 200 }));
  },
};

const searchPartitions = (types: number) => types * listShards.searchTerms;

/** First names of the bench contacts (contact-items.ts): each matches a twelfth of them at every size. */
const namePrefixes = ['ada', 'alan', 'grace', 'linus', 'margaret', 'ken'];

export const searchAllTypes: RouteScenario = {
  name: 'search all types (name prefix, 25)',
  routeKey: 'GET /v1/search',
  minimum: {
    calls: searchPartitions(3) + 1,
    sequential: 2,
    why: `one wave of ${searchPartitions(3)} parallel Queries of gsi1 (searchRecords: 3 types x ${listShards.searchTerms} shards of the query's first two letters), then one BatchGetItem of the page's records`,
  },
  async prepare() {
    return readOnly((i) => ({ method: 'GET', path: `/v1/search?q=${namePrefixes[i % namePrefixes.length]}&limit=25`, status: 200 }));
  },
};

export const searchContactsByName: RouteScenario = {
  name: 'contacts?q= (name prefix, 25)',
  routeKey: 'GET /v1/contacts',
  minimum: { calls: searchPartitions(1) + 1, sequential: 2, why: `one wave of ${searchPartitions(1)} parallel Queries of gsi1 (searchRecords, contacts only), then one BatchGetItem` },
  async prepare() {
    return readOnly((i) => ({ method: 'GET', path: `/v1/contacts?q=${namePrefixes[i % namePrefixes.length]}&limit=25`, status: 200 }));
  },
};

export const funnelReport: RouteScenario = {
  name: 'funnel report (12 months)',
  routeKey: 'GET /v1/reports/funnel',
  minimum: {
    calls: 2 * listShards.reportCounters + 1,
    sequential: 2,
    why: `GetItem of the report settings, then one wave of ${2 * listShards.reportCounters} Queries (reportCounters: stages now and moves per month, ${listShards.reportCounters} shards each)`,
  },
  async prepare() {
    return readOnly(() => ({ method: 'GET', path: '/v1/reports/funnel', status: 200 }));
  },
};

export const timelinePage: RouteScenario = {
  name: 'timeline page (25)',
  routeKey: 'GET /v1/contacts/{id}/timeline',
  minimum: { calls: 3, sequential: 2, why: 'GetItem of the record (404 check) in parallel with the TL# Query, then one BatchGetItem of the activities on the page' },
  async prepare({ timelineContactId }) {
    return readOnly(() => ({ method: 'GET', path: `/v1/contacts/${timelineContactId}/timeline?limit=25`, status: 200 }));
  },
};

export const createContact: RouteScenario = {
  name: 'create contact',
  routeKey: 'POST /v1/contacts',
  minimum: { calls: 1, sequential: 1, why: 'one TransactWriteItems (record, email guard, timeline entry); uniqueness is a condition, nothing is read first' },
  async prepare() {
    const number = (i: number) => 1_000_000 + i;
    return {
      request: (i) => ({ method: 'POST', path: '/v1/contacts', body: contactInput(number(i), 'route'), status: 201 }),
      rawSubstitutions: (i, response) =>
        new Map([
          [response.body.id as string, ulid()],
          [`route.${number(i)}@`, `${RAW_EMAIL_TAG}.${number(i)}@`],
        ]),
    };
  },
};

export const updateContact: RouteScenario = {
  name: 'update contact',
  routeKey: 'PATCH /v1/contacts/{id}',
  minimum: { calls: 2, sequential: 2, why: 'GetItem, then TransactWriteItems conditioned on the version read (the timeline entry needs the old values)' },
  async prepare({ env }, count) {
    // Every request changes a contact still at version 1, on both sides, so the
    // replayed write (conditioned on version 1) matches what the route wrote.
    const inputs = (tag: string) => Array.from({ length: count }, (_, i) => contactInput(2_000_000 + i, tag));
    const routeIds = await createThroughBatch(env.api, 'contacts', inputs('update'));
    const rawIds = await createThroughBatch(env.api, 'contacts', inputs('updrw'));
    return {
      request: (i) => ({ method: 'PATCH', path: `/v1/contacts/${routeIds[i]}`, body: { title: `Changed ${i}` }, status: 200 }),
      rawSubstitutions: (i) => new Map([[routeIds[i]!, rawIds[i]!]]),
    };
  },
};

export const createDeal: RouteScenario = {
  name: 'create deal',
  routeKey: 'POST /v1/deals',
  minimum: { calls: 2, sequential: 2, why: "GetItem of the pipeline (status and probability follow the stage), then TransactWriteItems with the contact's ConditionCheck and link; 1 call with pipelines cached per container" },
  async prepare({ env, contactIds }) {
    // The default pipeline is written on first use: do that here, not in a measured request.
    await env.api.call('GET', '/v1/pipelines/default', undefined, 200);
    return {
      request: (i) => ({ method: 'POST', path: '/v1/deals', body: { name: `Deal ${i}`, amount: 12_000, contactIds: [contactIds[i % contactIds.length]] }, status: 201 }),
      rawSubstitutions: (_, response) => new Map([[response.body.id as string, ulid()]]),
    };
  },
};

export const moveDealStage: RouteScenario = {
  name: 'move deal stage',
  routeKey: 'PATCH /v1/deals/{id}',
  minimum: { calls: 3, sequential: 3, why: 'GetItem of the deal, GetItem of the pipeline it names, TransactWriteItems; 2 with pipelines cached per container' },
  async prepare({ env }, count) {
    const inputs = Array.from({ length: count }, (_, i) => ({ name: `Stage move ${i}`, amount: 5_000 }));
    const routeIds = await createThroughBatch(env.api, 'deals', inputs);
    const rawIds = await createThroughBatch(env.api, 'deals', inputs);
    return {
      request: (i) => ({ method: 'PATCH', path: `/v1/deals/${routeIds[i]}`, body: { stageId: 'qualified_to_buy' }, status: 200 }),
      rawSubstitutions: (i) => new Map([[routeIds[i]!, rawIds[i]!]]),
    };
  },
};

export const sendEmail: RouteScenario = {
  name: 'send email',
  routeKey: 'POST /v1/contacts/{id}/emails',
  minimum: {
    calls: 4,
    sequential: 4,
    why: 'GetItem of the contact, GetItem of its address on the suppression list, the claim (TransactWriteItems), then, after SES, one TransactWriteItems marking it sent with the email activity; the route also waits for one SES SendEmail (local SES), the raw side does not',
  },
  async prepare({ contactIds }) {
    return {
      request: (i) => ({
        method: 'POST',
        path: `/v1/contacts/${contactIds[(i * 104_729) % contactIds.length]}/emails`,
        body: { subject: `Following up ${i}`, text: 'Thanks for the call today. The proposal is attached as promised; let me know what you think.' },
        status: 201,
      }),
      rawSubstitutions: (_, response) => new Map([[response.body.id as string, ulid()]]),
    };
  },
};

/** Every route of the API overhead section, writes and reads. */
export const apiScenarios: readonly RouteScenario[] = [createContact, getContact, updateContact, listContacts, searchContacts, createDeal, moveDealStage, timelinePage, sendEmail];

/** The read routes the growth section repeats at every table size. */
export const growthScenarios: readonly RouteScenario[] = [getContact, listContacts, searchContacts, listContactsCombined, searchAllTypes, searchContactsByName, funnelReport, timelinePage];
