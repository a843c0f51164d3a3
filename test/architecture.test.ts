import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allOperations } from '../functions/http/contract';
import { functionManifest, functionsTriggeredBy, routeKeysOf } from '../functions/manifest';
import { RETRY_BUDGET_MS } from '../domain/shared/optimistic-retry';

const root = join(import.meta.dirname, '..');
const sourceFiles = (folder: string): string[] =>
  readdirSync(join(root, folder)).flatMap((name) => {
    const path = join(folder, name);
    return statSync(join(root, path)).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });

describe('architecture rules', () => {
  it('keeps the domain free of I/O: no AWS SDK, no Node I/O modules, no adapters', () => {
    const offenders = sourceFiles('domain').filter((file) => /from '(@aws-sdk|@aws-lambda-powertools|node:(fs|net|http|child_process))|from '\.\.\/\.\.\/(adapters|functions)/.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('never issues a Scan from request code (the shared client also refuses one at run time)', () => {
    const offenders = ['domain', 'adapters', 'functions']
      .flatMap(sourceFiles)
      .filter((file) => /\bScan(Command|Input)\b|ScanCommand/.test(readFileSync(join(root, file), 'utf8').replace(/'ScanCommand'/g, '')));
    expect(offenders.map((file) => relative(root, join(root, file)))).toEqual([]);
  });

  it('builds every key of the table in domain/shared/keys.ts: no key prefix string anywhere else', () => {
    const keyModules = new Set([join('domain', 'shared', 'keys.ts'), join('domain', 'shared', 'key-design.ts')]);
    // A quoted upper-case word followed by # is the start of a key (`CONTACT#`, 'UNIQUE#…').
    const keyPrefix = /['`"][A-Z]{3,}#/;
    const offenders = ['domain', 'adapters', 'functions', 'infra', 'local', 'migrations']
      .flatMap(sourceFiles)
      .filter((file) => !keyModules.has(file) && keyPrefix.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('lists every named access pattern in docs/data-model.md', () => {
    const keys = readFileSync(join(root, 'domain', 'shared', 'keys.ts'), 'utf8');
    const patterns = [...keys.matchAll(/pattern: '(\w+)'/g)].map((match) => match[1]!);
    const documented = readFileSync(join(root, 'docs', 'data-model.md'), 'utf8');
    expect(patterns.length).toBeGreaterThan(10);
    expect(patterns.filter((pattern) => !documented.includes(`| ${pattern} |`))).toEqual([]);
  });

  it('gives every function that writes the time to retry lost races and still answer (the 409 before its timeout)', () => {
    const tooShort = Object.entries(functionManifest)
      .filter(([, declaration]) => declaration.tableAccess !== 'read' && declaration.tableAccess !== 'none' && declaration.timeoutSeconds * 1000 < RETRY_BUDGET_MS + 5_000)
      .map(([name, declaration]) => `${name} (${declaration.timeoutSeconds} s)`);
    expect(tooShort).toEqual([]);
  });

  it('builds every Lambda in the one middy stack of functions/lambda-handler.ts', () => {
    const offenders = ['functions', 'adapters'].flatMap(sourceFiles).filter((file) => file !== join('functions', 'lambda-handler.ts') && /from '@middy\/core'/.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('routes every deployed route to exactly one contract operation, and back', () => {
    const deployed = functionsTriggeredBy('http').flatMap(([, declaration]) => routeKeysOf(declaration)).sort();
    expect(deployed).toEqual(allOperations.map((operation) => operation.routeKey).sort());
    expect(new Set(deployed).size).toBe(deployed.length);
  });
});
