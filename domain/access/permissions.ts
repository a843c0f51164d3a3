import type { Actor, Role } from '../shared/actor';
import { ForbiddenError } from '../shared/errors';

/**
 * What each role may do. Checked inside the use cases, so every way into the domain
 * (HTTP routes, batch items, future automations) obeys the same rules.
 *
 * | role    | read | create | change/delete                              | pipelines, properties, audit |
 * | viewer  | yes  |        |                                            |                              |
 * | member  | yes  | yes    | records it owns, tasks assigned to it       |                              |
 * | manager | yes  | yes    | every record                               |                              |
 * | admin   | yes  | yes    | every record                               | yes                          |
 */
export type Capability = 'readRecords' | 'createRecords' | 'changeAnyRecord' | 'changeOwnRecords' | 'manageSchema' | 'readAudit';

const capabilities: Record<Role, ReadonlySet<Capability>> = {
  viewer: new Set(['readRecords']),
  member: new Set(['readRecords', 'createRecords', 'changeOwnRecords']),
  manager: new Set(['readRecords', 'createRecords', 'changeOwnRecords', 'changeAnyRecord']),
  admin: new Set(['readRecords', 'createRecords', 'changeOwnRecords', 'changeAnyRecord', 'manageSchema', 'readAudit']),
};

const roleNeeded: Record<Capability, string> = {
  readRecords: 'role viewer or above (scope crm/read)',
  createRecords: 'role member or above (scope crm/write)',
  changeOwnRecords: 'role member or above (scope crm/write)',
  changeAnyRecord: 'role manager or above (scope crm/write)',
  manageSchema: 'role admin (scope crm/admin)',
  readAudit: 'role admin (scope crm/admin)',
};

const can = (actor: Actor, capability: Capability) => capabilities[actor.role].has(capability);

export function requireCapability(actor: Actor, capability: Capability, action: string): void {
  if (!can(actor, capability)) {
    throw new ForbiddenError(`${describe(actor)} may not ${action}.`, roleNeeded[capability]);
  }
}

function describe(actor: Actor): string {
  return `${{ client: 'Client', workflow: 'Workflow', import: 'Import' }[actor.type as string] ?? 'User'} ${actor.id} (${actor.role})`;
}

/** Whether the actor answers for the record: its owner, or the assignee of a task. */
function isResponsibleFor(actor: Actor, record: Record<string, unknown>): boolean {
  return record.ownerId === actor.id || record.assigneeId === actor.id;
}

export function requireMayChange(actor: Actor, record: Record<string, unknown>, action: string): void {
  if (can(actor, 'changeAnyRecord')) return;
  requireCapability(actor, 'changeOwnRecords', action);
  if (!isResponsibleFor(actor, record)) {
    throw new ForbiddenError(`${describe(actor)} may only ${action} records it owns or tasks assigned to it.`, 'ownership of the record, or role manager');
  }
}

/**
 * Members may not hand records to someone else (or leave them ownerless), and may not
 * take over a record they do not own: no mass assignment. `current` is the record as
 * stored, or undefined for a record being created.
 */
export function requireMayAssignOwner(actor: Actor, ownerId: unknown, current?: Record<string, unknown>): void {
  if (can(actor, 'changeAnyRecord')) return;
  const ownsIt = current === undefined || current.ownerId === actor.id;
  if (ownsIt && (ownerId === undefined || ownerId === actor.id)) return;
  throw new ForbiddenError(`${describe(actor)} may only make itself the owner of records it creates or owns.`, 'role manager to assign records to others');
}

/** An assignee who does not own a task may work on it, not hand it on. */
export function requireMayReassign(actor: Actor, current: Record<string, unknown>): void {
  if (can(actor, 'changeAnyRecord') || current.ownerId === actor.id) return;
  throw new ForbiddenError(`${describe(actor)} may not reassign a task it does not own.`, 'ownership of the task, or role manager');
}
