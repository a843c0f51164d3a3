import { foldText } from '../search/search-terms';
import type { CrmRecord, RecordType } from '../records/record-model';

/**
 * Why two records may be one:
 * - `nameAtCompany`: contacts with the same name (folded as search folds it: case, accents and
 *   punctuation ignored) at the same company;
 * - `phone`: contacts with the same phone digits (at least 7);
 * - `emailNameAtCompany`: contacts at the same company whose addresses have the same local
 *   part on different domains (`ada@acme.com`, `ada@acme.co.uk`);
 * - `companyName`: companies with the same folded name, unless both have a domain (two
 *   domains are two firms that happen to share a name, like regional subsidiaries).
 */
export const duplicateReasons = ['nameAtCompany', 'phone', 'emailNameAtCompany', 'companyName'] as const;
export type DuplicateReason = (typeof duplicateReasons)[number];

/** The types whose duplicates the CRM looks for. */
export type DeduplicatedType = Extract<RecordType, 'contact' | 'company'>;
export const isDeduplicated = (type: RecordType): type is DeduplicatedType => type === 'contact' || type === 'company';

/** One value that two records share when they may be one. */
export interface MatchKey {
  readonly reason: DuplicateReason;
  readonly value: string;
  /** Companies only: whether it has a domain (two that both have one are not a pair). */
  readonly hasDomain?: boolean;
}

export const MIN_PHONE_DIGITS = 7;

const contactName = (contact: CrmRecord) => foldText([contact.firstName, contact.lastName].filter((part) => typeof part === 'string').join(' '));
const localPartOf = (email: string) => email.toLowerCase().split('@')[0]!.replace(/\+.*$/, '');

/** The match keys of a record, each once. */
export function matchKeysOf(type: DeduplicatedType, record: CrmRecord): MatchKey[] {
  const keys: MatchKey[] = [];
  if (type === 'company') {
    const name = typeof record.name === 'string' ? foldText(record.name) : '';
    if (name.length > 0) keys.push({ reason: 'companyName', value: name, hasDomain: typeof record.domain === 'string' });
    return keys;
  }
  const companyIds = Array.isArray(record.companyIds) ? (record.companyIds as string[]) : [];
  const name = contactName(record);
  const local = typeof record.email === 'string' ? localPartOf(record.email) : '';
  for (const companyId of companyIds) {
    if (name.length > 0) keys.push({ reason: 'nameAtCompany', value: `${companyId} ${name}` });
    if (local.length > 0) keys.push({ reason: 'emailNameAtCompany', value: `${companyId} ${local}` });
  }
  const digits = typeof record.phone === 'string' ? record.phone.replace(/\D/g, '') : '';
  if (digits.length >= MIN_PHONE_DIGITS) keys.push({ reason: 'phone', value: digits });
  return keys;
}

export const sameKey = (a: MatchKey, b: MatchKey) => a.reason === b.reason && a.value === b.value;

/** Whether two records that share a key are a pair by it. */
export const pairsBy = (a: MatchKey, b: MatchKey) => sameKey(a, b) && !(a.reason === 'companyName' && a.hasDomain && b.hasDomain);

/** Why two records are candidates, from their keys: each reason once, in the order of duplicateReasons. */
export function sharedReasons(a: readonly MatchKey[], b: readonly MatchKey[]): DuplicateReason[] {
  const reasons = new Set(a.flatMap((key) => (b.some((other) => pairsBy(key, other)) ? [key.reason] : [])));
  return duplicateReasons.filter((reason) => reasons.has(reason));
}
