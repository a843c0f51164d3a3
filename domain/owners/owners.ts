import { requireCapability } from '../access/permissions';
import { auditOp } from '../audit/audit-entries';
import { changedFields } from '../records/field-changes';
import type { Actor } from '../shared/actor';
import { once } from '../shared/built-on-first-use';
import { shortText } from '../shared/common-fields';
import type { CoreDependencies } from '../shared/dependencies';
import { AlreadyExistsError, NotFoundError, PreconditionFailedError, ValidationError } from '../shared/errors';
import { ownerKey, owners } from '../shared/keys';
import type { Page, PageRequest } from '../shared/page';
import { listPage } from '../shared/pagination';
import type { CrmTablePort, Item } from '../shared/table-port';
import * as z from '../shared/zod';
import { storedValue } from '../shared/stored-item';

/**
 * Owners (`/v1/owners`): the users who can own records, as HubSpot's owners API lists them.
 * A user becomes one by signing in and using the API (their verified token's subject, with
 * the email and name its claims carry), or when an admin adds them ahead of their first
 * sign-in (an import that assigns records to people who have not signed in yet); what admins
 * add or change is audited (recordType owner). An `ownerId` that names no owner is refused,
 * so records cannot be handed to a typo.
 */

export interface Owner {
  readonly id: string;
  readonly email?: string;
  readonly name?: string;
  /** `signed-in`: seen in a verified token; `added`: an admin added them and they have not signed in since. */
  readonly source: 'signed-in' | 'added';
  readonly firstSeenAt: string;
  /** The day they last used the API (kept to the day: one write per user per day at most). */
  readonly lastSeenAt?: string;
  readonly updatedAt: string;
  readonly version: number;
}

export const ownerSchemas = once(() => ({
  put: z
    .strictObject({ email: z.optional(z.pipe(z.string().check(z.trim(), z.maxLength(254)), z.email())), name: z.optional(shortText(200)) })
    .check(z.meta({ id: 'OwnerPut', description: 'Who they are, until their own sign-in says so.' })),
  owner: z
    .object({
      id: z.string(),
      email: z.optional(z.string()),
      name: z.optional(z.string()),
      source: z.enum(['signed-in', 'added']),
      firstSeenAt: z.string(),
      lastSeenAt: z.optional(z.string()),
      updatedAt: z.string(),
      version: z.int(),
    })
    .check(z.meta({ id: 'Owner' })),
}));
export type OwnerPut = z.infer<ReturnType<typeof ownerSchemas>['put']>;

const ownerToItem = (owner: Owner): Item => ({ ...ownerKey(owner.id), entity: 'owner', ...owner, ...owners.attributes(undefined, { id: owner.id }) });
export const itemToOwner = (item: Item): Owner => storedValue<Owner>(item);
export async function findOwner(table: CrmTablePort, id: string): Promise<Owner | undefined> {
  const item = await table.getItem(ownerKey(id));
  return item ? itemToOwner(item) : undefined;
}

/** What a verified token says about its user. */
export interface SignedInUser {
  readonly id: string;
  readonly email?: string;
  readonly name?: string;
}

/**
 * Notes that a user used the API: adds them as an owner, or refreshes what their token says
 * and the day they were last seen. Writes only when something changed, and a lost race
 * means another request noted them: nothing is lost.
 */
export async function noteSignedInUser(deps: Pick<CoreDependencies, 'table' | 'clock'>, user: SignedInUser): Promise<Owner | undefined> {
  const now = deps.clock.now().toISOString();
  const current = await findOwner(deps.table, user.id);
  const email = user.email ?? current?.email;
  const name = user.name ?? current?.name;
  const seenToday = current?.lastSeenAt?.slice(0, 10) === now.slice(0, 10);
  if (current && current.source === 'signed-in' && seenToday && current.email === email && current.name === name) return current;
  const next: Owner = {
    id: user.id,
    ...(email ? { email } : {}),
    ...(name ? { name } : {}),
    source: 'signed-in',
    firstSeenAt: current?.firstSeenAt ?? now,
    lastSeenAt: now.slice(0, 10),
    updatedAt: now,
    version: (current?.version ?? 0) + 1,
  };
  try {
    await deps.table.transactWrite([{ op: 'put', item: ownerToItem(next), condition: current ? { kind: 'liveAtVersion', version: current.version } : { kind: 'absent' }, onConditionFailed: () => new PreconditionFailedError() }]);
    return next;
  } catch (error) {
    if (error instanceof PreconditionFailedError) return undefined;
    throw error;
  }
}

/**
 * Adds someone as an owner before their first sign-in (admins), or sets an owner's email
 * and name (the daily digest needs an address, and Cognito's access tokens carry none); a
 * later sign-in keeps them unless its token says otherwise.
 */
export async function addOwner(deps: CoreDependencies, id: string, input: OwnerPut, actor: Actor): Promise<Owner> {
  requireCapability(actor, 'manageSchema', 'add owners');
  const existing = await findOwner(deps.table, id);
  if (existing) {
    const changed = (input.email !== undefined && input.email !== existing.email) || (input.name !== undefined && input.name !== existing.name);
    if (!changed) return existing;
    const next: Owner = { ...existing, ...input, updatedAt: deps.clock.now().toISOString(), version: existing.version + 1 };
    await deps.table.transactWrite([
      { op: 'put', item: ownerToItem(next), condition: { kind: 'liveAtVersion', version: existing.version }, onConditionFailed: () => new PreconditionFailedError() },
      auditOp({ recordType: 'owner', recordId: id, at: next.updatedAt, entryId: deps.ids.next(), actor, event: 'updated', changes: changedFields(existing, next, ['email', 'name']) }),
    ]);
    return next;
  }
  const now = deps.clock.now().toISOString();
  const owner: Owner = { id, ...(input.email ? { email: input.email } : {}), ...(input.name ? { name: input.name } : {}), source: 'added', firstSeenAt: now, updatedAt: now, version: 1 };
  try {
    await deps.table.transactWrite([
      { op: 'put', item: ownerToItem(owner), condition: { kind: 'absent' }, onConditionFailed: () => new AlreadyExistsError('owner', id) },
      auditOp({ recordType: 'owner', recordId: id, at: now, entryId: deps.ids.next(), actor, event: 'created', changes: changedFields<Partial<Owner>>({}, owner, ['email', 'name']) }),
    ]);
    return owner;
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    return (await findOwner(deps.table, id))!;
  }
}

export async function listOwners(deps: CoreDependencies, page: PageRequest, actor: Actor): Promise<Page<Owner>> {
  requireCapability(actor, 'readRecords', 'list owners');
  return listPage(deps.table, owners.query(undefined), page, itemToOwner);
}

export async function getOwner(deps: CoreDependencies, id: string, actor: Actor): Promise<Owner> {
  requireCapability(actor, 'readRecords', 'read owners');
  const owner = await findOwner(deps.table, id);
  if (!owner) throw new NotFoundError('owner', id);
  return owner;
}

/**
 * Refuses an owner (or a task's assignee) that is no known owner, for values a person or
 * client sent (a workflow's were checked when it was saved; the system's come from records). Owners are never removed, so
 * an answer once yes stays yes: `isOwner` may remember it.
 */
export async function requireKnownOwner(isOwner: (id: string) => Promise<boolean>, actor: Actor, ownerId: unknown, field = 'body.ownerId'): Promise<void> {
  // A signed-in user is an owner (the API noted them); a machine client never is one.
  if (typeof ownerId !== 'string' || (actor.type === 'user' && ownerId === actor.id) || (actor.type !== 'user' && actor.type !== 'client')) return;
  if (!(await isOwner(ownerId))) {
    throw new ValidationError(`No owner with id ${ownerId}: owners are the users who have signed in, or whom an admin added (PUT /v1/owners/{id}).`, [{ field, message: `${ownerId} is no known owner (GET /v1/owners)` }]);
  }
}
