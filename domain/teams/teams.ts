import { requireCapability } from '../access/permissions';
import { auditedDocuments } from '../audit/audited-documents';
import type { Actor } from '../shared/actor';
import { once } from '../shared/built-on-first-use';
import { serverFields, shortText, userId } from '../shared/common-fields';
import type { CoreDependencies } from '../shared/dependencies';
import { ValidationError } from '../shared/errors';
import type { RecordDependencies } from '../records/record-dependencies';
import { recordKeys, recordsByType } from '../shared/keys';
import type { IfMatch } from '../shared/optimistic-retry';
import type { CrmTablePort, Item } from '../shared/table-port';
import * as z from '../shared/zod';

/**
 * Teams (`/v1/teams`): a name and the users in it, for assigning work to a group (a
 * workflow's round-robin) and for reports by team. Managers write them.
 */

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly memberIds: readonly string[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export const MAX_TEAM_MEMBERS = 100;

export const teamSchemas = once(() => {
  const memberIds = z
    .array(userId)
    .check(
      z.minLength(1, 'a team has at least one member'),
      z.maxLength(MAX_TEAM_MEMBERS),
      z.refine((ids) => new Set(ids).size === ids.length, 'each member once'),
      z.meta({ description: `Ids of the users in the team (the identity provider's subjects), at most ${MAX_TEAM_MEMBERS}.` }),
    );
  const fields = { name: shortText(100), memberIds };
  return {
    create: z.strictObject(fields).check(z.meta({ id: 'TeamCreate' })),
    update: z
      .partial(z.strictObject(fields))
      .check(
        z.refine((patch) => Object.keys(patch).length > 0, 'send at least one field'),
        z.meta({ id: 'TeamUpdate' }),
      ),
    team: z.object({ ...serverFields, name: z.string(), memberIds: z.array(z.string()), createdBy: z.string() }).check(z.meta({ id: 'Team' })),
  };
});
type Schemas = ReturnType<typeof teamSchemas>;
export type TeamCreate = z.infer<Schemas['create']>;
export type TeamUpdate = z.infer<Schemas['update']>;

const teamToItem = (team: Team): Item => ({
  ...recordKeys.record('team', team.id),
  entity: 'team',
  ...team,
  ...recordsByType.attributes({ type: 'team' }, { at: team.createdAt, id: team.id }),
});

function itemToTeam(item: Item): Team {
  const { id, name, memberIds, createdBy, createdAt, updatedAt, version } = item as unknown as Team;
  return { id, name, memberIds, createdBy, createdAt, updatedAt, version };
}

const teams = auditedDocuments<Team>({
  resource: 'team',
  auditedAs: 'team',
  key: (id) => recordKeys.record('team', id),
  list: () => recordsByType.query({ type: 'team' }),
  toItem: teamToItem,
  fromItem: itemToTeam,
  audited: ['name', 'memberIds'],
});

/** Teams from the items of their list (reports read every team at once). */
export const teamsOfItems = (items: readonly Item[]): Team[] => items.map(itemToTeam);

export const findTeam = (table: CrmTablePort, id: string): Promise<Team | undefined> => teams.find(table, id);

/** Who works together decides who gets work: managers decide. */
const MANAGE = 'changeAnyRecord' as const;

/** Teams are read by every role that reads, and deleted by managers. */
export const { get: getTeam, list: listTeams, remove: deleteTeam } = teams.useCases(MANAGE);

/** What writing a team needs: the table, and the owners list its members must be on (work goes to them). */
type TeamDependencies = CoreDependencies & Pick<RecordDependencies, 'isOwner'>;

async function requireOwners(deps: TeamDependencies, memberIds: readonly string[] | undefined): Promise<void> {
  const unknown = [];
  for (const [index, id] of (memberIds ?? []).entries()) if (!(await deps.isOwner(id))) unknown.push({ field: `body.memberIds.${index}`, message: `${id} is no known owner (GET /v1/owners)` });
  if (unknown.length > 0) throw new ValidationError('Team members must be owners: users who signed in, or whom an admin added.', unknown);
}

export async function createTeam(deps: TeamDependencies, input: TeamCreate, actor: Actor): Promise<Team> {
  requireCapability(actor, MANAGE, 'create teams');
  await requireOwners(deps, input.memberIds);
  const now = deps.clock.now().toISOString();
  return teams.create(deps, { id: deps.ids.next(), ...input, createdBy: actor.id, createdAt: now, updatedAt: now, version: 1 }, actor);
}



export async function updateTeam(deps: TeamDependencies, id: string, patch: TeamUpdate, actor: Actor, ifMatch?: IfMatch): Promise<Team> {
  requireCapability(actor, MANAGE, 'change teams');
  await requireOwners(deps, patch.memberIds);
  return teams.update(deps, id, actor, ifMatch, (current) => ({ ...current, ...patch }));
}

