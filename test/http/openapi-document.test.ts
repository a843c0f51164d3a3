import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { allOperations } from '../../functions/http/contract';
import { openApiDocument } from '../../functions/http/openapi-document';
import { problemTypes } from '../../functions/http/problem-types';

/**
 * The served OpenAPI document, judged by a third-party linter (Redocly CLI, its
 * recommended rules) and by the schemas it was built from. That every response the API
 * sends matches it is checked in every API test (support/openapi-responses.ts).
 */

const document = openApiDocument(allOperations, '1.0.0') as Record<string, any>;

describe('the OpenAPI document', () => {
  it("passes Redocly's recommended rules with no error and no warning", async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'crm-openapi-')), 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    // Telemetry off: the linter would otherwise try to report the run to its vendor.
    const { stdout } = await promisify(execFile)('node_modules/.bin/redocly', ['lint', '--extends=recommended', '--format=json', file], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((problem) => `${problem.ruleId}: ${problem.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 30_000);

  it('declares the bearer JWT, and on every operation but the public ones the scope it needs', () => {
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    for (const operation of allOperations) {
      const [method, path] = operation.routeKey.split(' ') as [string, string];
      const security = document.paths[path][method.toLowerCase()].security;
      if (operation.public) expect(security, operation.operationId).toEqual([]);
      else expect(security[0].bearerAuth[0], operation.operationId).toMatch(/^crm\/(read|write|admin)$/);
    }
  });

  it('has an example for every request body, valid by the body schema', () => {
    for (const operation of allOperations.filter((candidate) => candidate.body)) {
      expect(operation.bodyExample, operation.operationId).toBeDefined();
      const parsed = operation.body!.safeParse(operation.bodyExample);
      expect(parsed.success ? [] : parsed.error.issues, operation.operationId).toEqual([]);
    }
  });

  it('describes every problem type with its members', () => {
    const schemas = Object.keys(document.components.schemas);
    for (const code of Object.keys(problemTypes)) {
      const name = `${code.replace(/(^|-)(\w)/g, (_match: string, _dash: string, letter: string) => letter.toUpperCase())}Problem`;
      expect(schemas, code).toContain(name);
    }
  });
});
