import { requireCapability } from '../access/permissions';
import { auditedDocuments } from '../audit/audited-documents';
import type { Actor } from '../shared/actor';
import { once } from '../shared/built-on-first-use';
import type { CoreDependencies } from '../shared/dependencies';
import { reportSettingsKey } from '../shared/keys';
import { requireIfMatch, type IfMatch } from '../shared/optimistic-retry';
import type { CrmTablePort, Item } from '../shared/table-port';
import * as z from '../shared/zod';

/**
 * The deployment's reporting currency and exchange rates (`/v1/reports/settings`, admins):
 * deals keep their own currency and the counters keep amounts per currency, so reports
 * convert when they are read and a new rate applies to every report at once.
 */

export interface ReportSettings {
  readonly id: 'reporting';
  readonly currency: string;
  /** What one unit of each other currency is worth in `currency`. */
  readonly rates: Readonly<Record<string, number>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

const SETTINGS_ID = 'reporting';
/** Before an admin sets anything: US dollars, and no rate (deals in other currencies are reported unconverted). */
export const defaultReportSettings: ReportSettings = { id: SETTINGS_ID, currency: 'USD', rates: {}, createdAt: '1970-01-01T00:00:00.000Z', updatedAt: '1970-01-01T00:00:00.000Z', version: 0 };

const currencyCode = z.string().check(z.regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD'));

export const reportSettingsSchemas = once(() => ({
  put: z
    .strictObject({
      currency: currencyCode.check(z.meta({ description: 'The currency reports are in.' })),
      rates: z._default(
        z.record(currencyCode, z.number().check(z.gte(1e-9, 'at least 0.000000001'), z.lte(1e9))).check(
          z.refine((rates) => Object.keys(rates).length <= 200, 'at most 200 rates'),
          z.meta({ description: 'What one unit of each other currency is worth in `currency`, e.g. `{"EUR": 1.08}` when reporting in USD.' }),
        ),
        {},
      ),
    })
    .check(z.meta({ id: 'ReportSettingsPut' })),
  settings: z
    .object({ currency: z.string(), rates: z.record(z.string(), z.number()), updatedAt: z.string(), version: z.int().check(z.meta({ description: '0 until an admin sets them.' })) })
    .check(z.meta({ id: 'ReportSettings' })),
}));
export type ReportSettingsPut = z.infer<ReturnType<typeof reportSettingsSchemas>['put']>;

function itemToSettings(item: Item): ReportSettings {
  const { currency, rates, createdAt, updatedAt, version } = item as unknown as ReportSettings;
  return { id: SETTINGS_ID, currency, rates, createdAt, updatedAt, version };
}

const settingsDocuments = auditedDocuments<ReportSettings>({
  resource: 'report settings',
  auditedAs: 'reportSettings',
  key: () => reportSettingsKey,
  // One document, never listed.
  list: () => ({ pattern: 'getReportSettings', partitionKeys: [reportSettingsKey.pk], ascending: true }),
  toItem: (settings) => ({ ...reportSettingsKey, entity: 'reportSettings', ...settings }),
  fromItem: itemToSettings,
  audited: ['currency', 'rates'],
});

export const findReportSettings = async (table: CrmTablePort): Promise<ReportSettings> => (await settingsDocuments.find(table, SETTINGS_ID)) ?? defaultReportSettings;

/** The settings as the API shows them. */
export type ReportSettingsView = Pick<ReportSettings, 'currency' | 'rates' | 'updatedAt' | 'version'>;
const viewOf = ({ currency, rates, updatedAt, version }: ReportSettings): ReportSettingsView => ({ currency, rates, updatedAt, version });

export async function readReportSettings(deps: Pick<CoreDependencies, 'table'>, actor: Actor): Promise<ReportSettingsView> {
  requireCapability(actor, 'readRecords', 'read report settings');
  return viewOf(await findReportSettings(deps.table));
}

/** Sets the reporting currency and rates: the first time creates them, later changes them (If-Match honoured), audited either way. */
export async function putReportSettings(deps: CoreDependencies, input: ReportSettingsPut, actor: Actor, ifMatch?: IfMatch): Promise<ReportSettingsView> {
  requireCapability(actor, 'manageSchema', 'set the reporting currency');
  const rates = Object.fromEntries(Object.entries(input.rates).filter(([code]) => code !== input.currency));
  const existing = await settingsDocuments.find(deps.table, SETTINGS_ID);
  // Never set: their ETag is the defaults' ("0"); If-Match of that creates them, any other is stale.
  if (!existing) requireIfMatch(ifMatch, defaultReportSettings.version);
  if (!existing) {
    const now = deps.clock.now().toISOString();
    const first: ReportSettings = { id: SETTINGS_ID, currency: input.currency, rates, createdAt: now, updatedAt: now, version: 1 };
    // Another first write may have won (create then answers what it wrote): change that instead.
    if ((await settingsDocuments.create(deps, first, actor)) === first) return viewOf(first);
  }
  return viewOf(await settingsDocuments.update(deps, SETTINGS_ID, actor, ifMatch, (current) => ({ ...current, currency: input.currency, rates })));
}
