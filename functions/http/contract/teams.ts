import { teamSchemas } from '../../../domain/teams/teams';
import { operation } from '../api-operation';
import { idParams, pageOf, pageQuery } from './common';

const schemas = () => teamSchemas();

export const teamOperations = {
  createTeam: operation({
    routeKey: 'POST /v1/teams',
    operationId: 'createTeam',
    summary: 'Create a team: a name and its members (managers)',
    tag: 'Teams',
    body: () => schemas().create,
    bodyExample: { name: 'Inside sales EMEA', memberIds: ['user-alice', 'user-bob', 'user-carmen'] },
    success: { status: 201, description: 'Created, with its ETag and Location', schema: () => schemas().team, location: true, etag: true },
    idempotent: true,
  }),
  listTeams: operation({
    routeKey: 'GET /v1/teams',
    operationId: 'listTeams',
    summary: 'List teams, newest first',
    tag: 'Teams',
    query: pageQuery,
    success: { status: 200, description: 'One page', schema: () => pageOf(schemas().team, 'TeamPage') },
  }),
  getTeam: operation({
    routeKey: 'GET /v1/teams/{id}',
    operationId: 'getTeam',
    summary: 'Get a team',
    tag: 'Teams',
    pathParams: idParams,
    success: { status: 200, description: 'The team, with its ETag', schema: () => schemas().team, etag: true },
  }),
  updateTeam: operation({
    routeKey: 'PATCH /v1/teams/{id}',
    operationId: 'updateTeam',
    summary: 'Rename a team or change its members (managers); memberIds is the full list',
    tag: 'Teams',
    pathParams: idParams,
    body: () => schemas().update,
    bodyExample: { memberIds: ['user-alice', 'user-dev'] },
    success: { status: 200, description: 'Updated, with its new ETag', schema: () => schemas().team, etag: true },
    conditional: true,
  }),
  deleteTeam: operation({
    routeKey: 'DELETE /v1/teams/{id}',
    operationId: 'deleteTeam',
    summary: 'Delete a team (managers)',
    tag: 'Teams',
    pathParams: idParams,
    success: { status: 204, description: 'Deleted' },
    conditional: true,
  }),
};
