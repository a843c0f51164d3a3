import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadStageConfig, stackConfigSchema } from '../../infra/stack-config';

const guide = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');

/** Dotted paths of every setting the schema accepts (`alarms.email`, `auth.issuer`, …). */
function settingPaths(schema: unknown, prefix = ''): string[] {
  const def = (schema as { _zod: { def: Record<string, any> } })._zod.def;
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
      return settingPaths(def.innerType, prefix);
    case 'union':
      return [...new Set((def.options as unknown[]).flatMap((option) => settingPaths(option, prefix)))];
    case 'object':
      return Object.entries(def.shape as Record<string, unknown>).flatMap(([key, value]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        const nested = settingPaths(value, path);
        return nested.length > 0 ? nested : [path];
      });
    default:
      return [];
  }
}

describe('docs/deploy.md', () => {
  it('documents every stage setting in its settings table', () => {
    const section = guide.slice(guide.indexOf('### Every stage setting'), guide.indexOf('### Cognito or your own OIDC provider'));
    const documented = new Set([...section.matchAll(/^\| `([a-zA-Z0-9.]+)` \|/gm)].map((match) => match[1]));
    const settings = settingPaths(stackConfigSchema);

    expect(settings.length).toBeGreaterThan(25);
    expect(settings.filter((path) => !documented.has(path))).toEqual([]);
    expect([...documented].filter((path) => !settings.includes(path!))).toEqual([]);
  });

  it('shows an example cdk.json whose every stage is valid', () => {
    const example = [...guide.matchAll(/```json\n([\s\S]*?)```/g)]
      .map((match) => match[1]!)
      .find((block) => block.includes('"context"'));
    const { stages } = JSON.parse(example!).context;

    expect(Object.keys(stages)).toEqual(['dev', 'prod', 'staging']);
    for (const stage of Object.keys(stages)) {
      expect(() => loadStageConfig(new App({ context: { stages, stage } }).node, {}), stage).not.toThrow();
    }
  });
});
