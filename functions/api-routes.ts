/**
 * Which Lambda serves which HTTP route. The CDK stack wires API Gateway from this
 * list and the local gateway dispatches from it, so what runs locally is what deploys.
 */
export interface ApiFunction {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /** API Gateway HTTP API route keys: `METHOD /path/{param}`. */
  readonly routes: readonly string[];
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Public routes skip authorization (health checks, API description). */
  readonly public?: boolean;
  /** What the function may do on the table; the stack grants exactly this. */
  readonly tableAccess: 'none' | 'read' | 'readWrite';
}

function recordRoutes(collection: string, extra: readonly string[] = []): string[] {
  return [
    `POST /v1/${collection}`,
    `GET /v1/${collection}`,
    `POST /v1/${collection}/batch`,
    `GET /v1/${collection}/{id}`,
    `PATCH /v1/${collection}/{id}`,
    `DELETE /v1/${collection}/{id}`,
    `GET /v1/${collection}/{id}/timeline`,
    ...extra,
  ];
}

export const apiFunctions = {
  contacts: { entry: 'functions/contacts.ts', routes: recordRoutes('contacts'), memoryMb: 1024, timeoutSeconds: 29, tableAccess: 'readWrite' },
  companies: { entry: 'functions/companies.ts', routes: recordRoutes('companies'), memoryMb: 1024, timeoutSeconds: 29, tableAccess: 'readWrite' },
  deals: { entry: 'functions/deals.ts', routes: recordRoutes('deals'), memoryMb: 1024, timeoutSeconds: 29, tableAccess: 'readWrite' },
  activities: { entry: 'functions/activities.ts', routes: recordRoutes('activities'), memoryMb: 1024, timeoutSeconds: 29, tableAccess: 'readWrite' },
  pipelines: {
    entry: 'functions/pipelines.ts',
    routes: ['POST /v1/pipelines', 'GET /v1/pipelines', 'GET /v1/pipelines/{id}', 'PATCH /v1/pipelines/{id}', 'DELETE /v1/pipelines/{id}'],
    memoryMb: 512,
    timeoutSeconds: 10,
    tableAccess: 'readWrite',
  },
  properties: {
    entry: 'functions/properties.ts',
    routes: [
      'POST /v1/properties/{objectType}',
      'GET /v1/properties/{objectType}',
      'GET /v1/properties/{objectType}/{name}',
      'PATCH /v1/properties/{objectType}/{name}',
      'DELETE /v1/properties/{objectType}/{name}',
    ],
    memoryMb: 512,
    timeoutSeconds: 10,
    tableAccess: 'readWrite',
  },
  audit: { entry: 'functions/audit.ts', routes: ['GET /v1/audit'], memoryMb: 512, timeoutSeconds: 10, tableAccess: 'read' },
  meta: { entry: 'functions/meta.ts', routes: ['GET /health', 'GET /openapi.json', 'GET /docs'], memoryMb: 256, timeoutSeconds: 5, public: true, tableAccess: 'none' },
} as const satisfies Record<string, ApiFunction>;

export type ApiFunctionName = keyof typeof apiFunctions;
