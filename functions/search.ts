import { createRuntime } from '../adapters/runtime';
import { searchRecords } from '../domain/search/search-records';
import { apiHandler } from './http/api-handler';
import { searchOperations } from './http/contract/search';

const runtime = createRuntime();

export const handler = apiHandler(searchOperations, {
  search: async ({ query, actor }) => ({ status: 200, body: await searchRecords(runtime, query, actor) }),
});
