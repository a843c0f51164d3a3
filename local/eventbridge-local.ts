import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from './http-api-event';
import { ServiceError, startAwsJsonEndpoint } from './aws-json-endpoint';
import { createLocalEventBus, deployedEventRules, type BusEvent, type LocalEventBus } from './event-bus';
import { LOCAL_EVENT_BUS_NAME, LOCAL_REGION } from './local-arns';

/**
 * A local EventBridge endpoint for the AWS SDK (`new EventBridgeClient({ endpoint })`):
 * PutEvents, over the AWS JSON 1.1 protocol, with the service's limits (1 to 10 entries,
 * 256 KB for the request, Source, DetailType and a JSON object as Detail, a bus that exists).
 * Each entry it takes is delivered as EventBridge delivers it (envelope with id, account,
 * region and time) to that bus's local rules, and kept in a log a developer can read:
 * `GET /events` (local only; the deployed stack has no such endpoint) and one terminal
 * line per event when `print` is on.
 */

/** EventBridge's limit on a PutEvents request: the entries' Source, DetailType, Detail and Resources, plus 14 bytes for each Time. */
const MAX_REQUEST_BYTES = 256 * 1024;
const MAX_ENTRIES = 10;

export interface PutEventsEntry {
  readonly EventBusName?: string;
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Time?: number | string;
  readonly Resources?: readonly string[];
}

export interface EventBridgeLocalOptions {
  /** Bus name → its local rules; by default the stage's own bus with the CRM's rules on it (functions/manifest.ts), as deployed. */
  readonly buses?: Readonly<Record<string, LocalEventBus>>;
  /** One line per event on the terminal. */
  readonly print?: boolean;
  /** How many of the latest events `GET /events` keeps. */
  readonly keep?: number;
  /** Makes the endpoint fail an entry the way EventBridge does under load (`ThrottlingException`): for tests of the publisher. */
  readonly failEntry?: (entry: PutEventsEntry) => { readonly code: string; readonly message: string } | undefined;
  readonly port?: number;
}

export interface EventBridgeLocal {
  readonly endpoint: string;
  /** Every event taken so far (the latest `keep`), oldest first. */
  events(): readonly BusEvent[];
  /** Resolves once every rule's handling of the events taken so far has ended (see LocalEventBus.drain). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
const entryBytes = (entry: PutEventsEntry) =>
  (entry.Time === undefined ? 0 : 14) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0);

function parseDetail(detail: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(detail);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function startEventBridgeLocal({
  buses = { [LOCAL_EVENT_BUS_NAME]: createLocalEventBus({ rules: deployedEventRules('crm') }) },
  print = false,
  keep = 1_000,
  failEntry,
  port = 0,
}: EventBridgeLocalOptions): Promise<EventBridgeLocal> {
  const log: BusEvent[] = [];

  function take(entry: PutEventsEntry): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
    const detail = parseDetail(entry.Detail);
    if (!detail) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const busName = entry.EventBusName ?? 'default';
    const bus = buses[busName];
    if (!bus) return { ErrorCode: 'InvalidArgument', ErrorMessage: `Event bus ${busName} does not exist.` };
    const fault = failEntry?.(entry);
    if (fault) return { ErrorCode: fault.code, ErrorMessage: fault.message };
    const time = entry.Time === undefined ? new Date() : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: LOCAL_ACCOUNT_ID,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: LOCAL_REGION,
      resources: [...(entry.Resources ?? [])],
      detail,
    };
    log.push(event);
    if (log.length > keep) log.splice(0, log.length - keep);
    if (print) console.log(`[events] ${busName} ${event['detail-type']} ${String(detail.recordId ?? '')} v${String(detail.version ?? '')}`.trimEnd());
    bus.publish(event);
    return { EventId: event.id };
  }

  const endpoint = await startAwsJsonEndpoint({
    targetPrefix: 'AWSEvents',
    protocolVersion: '1.1',
    logTag: '[events]',
    port,
    operations: {
      PutEvents(request) {
        const entries = request.Entries;
        if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
          throw new ServiceError('ValidationException', `Entries must hold 1 to ${MAX_ENTRIES} entries.`);
        }
        const size = (entries as PutEventsEntry[]).reduce((sum, entry) => sum + entryBytes(entry), 0);
        if (size > MAX_REQUEST_BYTES) throw new ServiceError('ValidationException', `Total size of the entries in the request is over the limit (${size} > ${MAX_REQUEST_BYTES} bytes).`);
        const results = (entries as PutEventsEntry[]).map(take);
        return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
      },
    },
    inspect(url) {
      if (url.pathname !== '/events') return undefined;
      const type = url.searchParams.get('detail-type');
      return { events: type ? log.filter((event) => event['detail-type'] === type) : log };
    },
  });

  return {
    endpoint: endpoint.endpoint,
    events: () => log,
    drain: async () => void (await Promise.all(Object.values(buses).map((bus) => bus.drain()))),
    stop: () => endpoint.close(),
  };
}
