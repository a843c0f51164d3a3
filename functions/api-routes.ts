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
  /** Public routes skip authorization; `publicBecause` says why that is safe (it is recorded with the cdk-nag finding). */
  readonly public?: boolean;
  readonly publicBecause?: string;
  /**
   * What the function may do on the table; the stack grants exactly this. `suppressByLink`:
   * only the items an unsubscribe link touches (the signing secret, email messages and the
   * suppression list), for the one public function that writes.
   */
  readonly tableAccess: 'none' | 'read' | 'readWrite' | 'suppressByLink';
  /** Sends email through SES: the stack grants ses:SendEmail on the sender identity and sets the sender. */
  readonly sendsEmail?: boolean;
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
  emails: {
    entry: 'functions/emails.ts',
    routes: [
      'POST /v1/contacts/{id}/emails',
      'GET /v1/contacts/{id}/emails',
      'GET /v1/emails/{id}',
      'POST /v1/email-suppressions',
      'GET /v1/email-suppressions',
      'GET /v1/email-suppressions/{email}',
      'DELETE /v1/email-suppressions/{email}',
    ],
    memoryMb: 512,
    timeoutSeconds: 15,
    tableAccess: 'readWrite',
    sendsEmail: true,
  },
  sequences: {
    entry: 'functions/sequences.ts',
    routes: [
      'POST /v1/sequences',
      'GET /v1/sequences',
      'GET /v1/sequences/{id}',
      'PATCH /v1/sequences/{id}',
      'POST /v1/sequences/{id}/enrollments',
      'GET /v1/sequences/{id}/enrollments',
      'GET /v1/sequences/{id}/enrollments/{contactId}',
      'DELETE /v1/sequences/{id}/enrollments/{contactId}',
    ],
    memoryMb: 512,
    timeoutSeconds: 10,
    tableAccess: 'readWrite',
  },
  audit: { entry: 'functions/audit.ts', routes: ['GET /v1/audit'], memoryMb: 512, timeoutSeconds: 10, tableAccess: 'read' },
  unsubscribe: {
    entry: 'functions/unsubscribe.ts',
    routes: ['GET /unsubscribe', 'POST /unsubscribe'],
    memoryMb: 256,
    timeoutSeconds: 10,
    public: true,
    publicBecause: 'recipients of CRM email follow the link without an account: the signed token is the authorization, and all it can do is suppress the address of the message it names',
    tableAccess: 'suppressByLink',
  },
  meta: {
    entry: 'functions/meta.ts',
    routes: ['GET /health', 'GET /openapi.json', 'GET /docs'],
    memoryMb: 256,
    timeoutSeconds: 5,
    public: true,
    publicBecause: 'health checks and the API description carry no CRM data',
    tableAccess: 'none',
  },
} as const satisfies Record<string, ApiFunction>;

export type ApiFunctionName = keyof typeof apiFunctions;
