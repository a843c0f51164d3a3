import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { allOperations } from '../../functions/http/contract';
import { openApiDocument } from '../../functions/http/openapi-document';
import { createRouter } from '../../local/http-api-routes';

/**
 * Every response the API tests receive, checked against the OpenAPI document the API
 * serves (the same function builds both): a status the operation does not declare, a
 * content type it does not declare for that status, or a body its schema refuses is a
 * test failure. So the document cannot drift from what the API really sends, including
 * API Gateway's own answers (the local gateway answers exactly as it does).
 */
type Json = Record<string, any>;

const document = openApiDocument(allOperations, 'test') as Json;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema(document, 'openapi.json');

const router = createRouter(allOperations.map((operation) => ({ routeKey: operation.routeKey, target: operation.routeKey.split(' ')[1]! })));
const pointer = (...segments: (string | number)[]) => segments.map((segment) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export interface ResponseViolation {
  readonly request: string;
  readonly status: number;
  readonly problems: readonly string[];
}

/** What is wrong with this response by the document; empty when nothing is (or no route matches: API Gateway's 404). */
export function responseViolations(method: string, path: string, status: number, contentType: string | null, body: unknown): string[] {
  // As the client sends it: fetch resolves dot segments before the request leaves.
  const match = router(method, new URL(path, 'http://api.invalid').pathname);
  if (!match) return [];
  const template = match.target;
  const responses = document.paths[template]?.[method.toLowerCase()]?.responses as Json | undefined;
  if (!responses) return [`${method} ${template} is not in the document`];
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((candidate) => candidate in responses);
  if (!key) return [`status ${status} is not declared (declared: ${Object.keys(responses).join(', ')})`];
  const declared = responses[key].content as Json | undefined;
  if (!declared) return body === undefined ? [] : [`status ${status} declares no body, but one was sent`];
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!declared[media]) return [`content type ${media || '(none)'} is not declared for ${status} (declared: ${Object.keys(declared).join(', ')})`];
  const validate = ajv.getSchema(`openapi.json#/${pointer('paths', template, method.toLowerCase(), 'responses', key, 'content', media, 'schema')}`);
  if (!validate) return [`no schema for ${status} ${media}`];
  return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`);
}
