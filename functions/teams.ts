import { createRuntime } from '../adapters/runtime';
import { createTeam, deleteTeam, getTeam, listTeams, updateTeam } from '../domain/teams/teams';
import { apiHandler } from './http/api-handler';
import { teamOperations } from './http/contract/teams';
import { withIdempotentIds } from './http/idempotency';
import { apiServicesFor } from './http/api-services';
import { created, withEtag } from './http/responses';

const runtime = createRuntime();

export const handler = apiHandler(
  teamOperations,
  {
    createTeam: async (request) => {
      const team = await createTeam(withIdempotentIds(runtime, request, 'team'), request.body, request.actor);
      return created(`/v1/teams/${team.id}`, team);
    },
    listTeams: async ({ query, actor }) => ({ status: 200, body: await listTeams(runtime, query, actor) }),
    getTeam: async ({ params, actor }) => withEtag(200, await getTeam(runtime, params.id, actor)),
    updateTeam: async ({ params, body, actor, ifMatch }) => withEtag(200, await updateTeam(runtime, params.id, body, actor, ifMatch)),
    deleteTeam: async ({ params, actor, ifMatch }) => {
      await deleteTeam(runtime, params.id, actor, ifMatch);
      return { status: 204 };
    },
  },
  apiServicesFor(runtime),
);
