import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { functionManifest, routeKeysOf, type FunctionDeclaration, type TriggeredBy } from '../functions/manifest';
import { lambdaBundleAliases } from '../infra/constructs/crm-function';
import { fixed, table, times } from './report';
import { median, ratio } from './stats';

/**
 * A cold-start proxy: each Lambda bundle, built as the stack builds it, loaded in a
 * fresh Node process of the Lambda runtime's major version, next to a bundle that
 * only creates a DynamoDB client. What it measures is module load and initialisation
 * on this machine (Lambda adds sandbox start-up and runs on arm64 at a memory-scaled
 * CPU share), so compare ratios, not milliseconds.
 */

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const MINIMAL = 'minimal (DynamoDB client only)';
export const SCAFFOLD = 'minimal + middy, Powertools logger and metrics';

/**
 * The esbuild options NodejsFunction derives from infra/constructs/crm-function.ts
 * (format ESM, target node24, main fields, the require banner, minify with names kept, source maps,
 * the AWS SDK bundled, the same module aliases): keep the two in step.
 */
const lambdaBuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'] as string[],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  minify: true,
  keepNames: true,
  sourcemap: true,
  alias: lambdaBundleAliases,
  metafile: true,
  logLevel: 'warning',
} as const;

/** The environment the stack gives every function (crm-function.ts), with placeholders for what AWS fills in. */
const lambdaEnvironment = {
  TABLE_NAME: 'crm-cold-start',
  POWERTOOLS_SERVICE_NAME: 'crm',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'cold-start',
  AWS_SECRET_ACCESS_KEY: 'cold-start',
};

export interface PackageFlag {
  readonly packageName: string;
  readonly kb: number;
  readonly why: string;
}

export interface BundleMeasurement {
  readonly name: string;
  readonly bundleKb: number;
  readonly sourceMapKb: number;
  /** Medians over the runs: spawn until the module exported its handler, and the import alone (inside the process). */
  readonly loadMs: number;
  readonly importMs: number;
  readonly loadVsMinimal: number;
  /** The largest packages in the bundle (KB of output). */
  readonly topPackages: readonly { packageName: string; kb: number }[];
  readonly flags: readonly PackageFlag[];
}

interface Bundle {
  name: string;
  file: string;
  bytes: number;
  mapBytes: number;
  /** Output bytes per input file, and per package. */
  inputs: Map<string, number>;
  packages: Map<string, number>;
}

const packageOf = (input: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? '(project code)';

async function bundle(name: string, entry: string, outDir: string): Promise<Bundle> {
  const file = join(outDir, name.replace(/\W+/g, '-'), 'index.mjs');
  const result = await build({ ...lambdaBuildOptions, absWorkingDir: REPOSITORY_ROOT, entryPoints: [join(REPOSITORY_ROOT, entry)], outfile: file });
  const outputs = (result.metafile as Metafile).outputs;
  const main = Object.values(outputs).find((output) => output.entryPoint)!;
  const map = Object.entries(outputs).find(([path]) => path.endsWith('.map'))?.[1];
  const inputs = new Map(Object.entries(main.inputs).map(([input, { bytesInOutput }]) => [input, bytesInOutput]));
  const packages = new Map<string, number>();
  for (const [input, bytes] of inputs) packages.set(packageOf(input), (packages.get(packageOf(input)) ?? 0) + bytes);
  return { name, file, bytes: main.bytes, mapBytes: map?.bytes ?? 0, inputs, packages };
}

/** Parts of packages that no route uses, matched by file path. */
const unusedParts = [
  {
    packageName: 'zod locales other than English',
    files: /node_modules\/zod\/.*\/locales\/(?!en\.)/,
    why: 'error messages in every other language zod ships; the API answers in English',
    unless: () => false,
  },
  {
    packageName: 'zod JSON Schema conversion',
    files: /node_modules\/zod\/.*json-schema/,
    why: 'only the OpenAPI document converts schemas',
    unless: (definition: FunctionTraits | undefined) => servesOpenApi(definition),
  },
];

/** What a bundle's function is (functions/manifest.ts), for spotting code it never uses. */
type FunctionTraits = Pick<FunctionDeclaration, 'tableAccess'> & {
  readonly routes?: readonly string[];
  readonly sendsEmail?: boolean;
  readonly startsExecutions?: boolean;
  readonly publishesEvents?: boolean;
};

const servesOpenApi = (definition: FunctionTraits | undefined) => (definition?.routes as readonly string[] | undefined)?.includes('GET /openapi.json') ?? false;

/**
 * What a function's routes never use, by what the function is (functions/manifest.ts): its
 * table access and the routes it serves. The SDK's default credential chain is
 * flagged everywhere: on Lambda, credentials come from environment variables, so the
 * SSO, INI, process, web identity, container and instance metadata providers (and
 * the STS/SSO clients they need) ship in every bundle and never run.
 */
function unusedCode(definition: FunctionTraits | undefined, built: Bundle): PackageFlag[] {
  const { packages } = built;
  const kb = (packageName: string) => (packages.get(packageName) ?? 0) / 1024;
  const flags: PackageFlag[] = [];
  const flag = (packageName: string, why: string) => packages.has(packageName) && flags.push({ packageName, kb: kb(packageName), why });
  if (definition) {
    if (definition.tableAccess === 'none') {
      // A publisher needs the SDK's core for EventBridge: only the DynamoDB clients are unused there.
      const unusedSdk = (name: string) => (definition.publishesEvents ? name.startsWith('@aws-sdk/client-dynamodb') || name === '@aws-sdk/lib-dynamodb' : name.startsWith('@aws-sdk/') || name.startsWith('@smithy/'));
      for (const name of packages.keys()) if (unusedSdk(name)) flag(name, 'the function has no table access');
    }
    if (!definition.publishesEvents) flag('@aws-sdk/client-eventbridge', 'the function publishes no events');
    if (definition.tableAccess !== 'readWrite') {
      flag('@aws-lambda-powertools/idempotency', 'Idempotency-Key applies to API writes that create records; this function serves none');
      flag('ulid', 'ids are made by writes that create records; this function creates none');
    }
    if (!servesOpenApi(definition)) flag('zod-openapi', 'only the OpenAPI document needs it');
    if (!definition.sendsEmail) flag('@aws-sdk/client-sesv2', 'the function sends no email');
    if (!definition.startsExecutions) flag('@aws-sdk/client-sfn', 'the function starts no state machine executions');
  }
  for (const part of unusedParts) {
    if (part.unless(definition)) continue;
    const bytes = [...built.inputs].filter(([input]) => part.files.test(input)).reduce((sum, [, size]) => sum + size, 0);
    if (bytes > 0) flags.push({ packageName: part.packageName, kb: bytes / 1024, why: part.why });
  }
  const credentialChain = [
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-login',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-web-identity',
    '@aws-sdk/credential-provider-http',
    '@aws-sdk/token-providers',
    '@aws-sdk/nested-clients',
    '@smithy/credential-provider-imds',
  ].filter((name) => packages.has(name));
  if (credentialChain.length > 0) {
    flags.push({
      packageName: `AWS SDK credential providers (${credentialChain.map((name) => name.replace(/^@[^/]+\/(credential-provider-)?/, '')).join(', ')})`,
      kb: credentialChain.reduce((sum, name) => sum + kb(name), 0),
      why: 'the default credential chain; on Lambda only the environment provider runs',
    });
  }
  return flags;
}

/** One fresh Node process: ms from spawn until the bundle's handler is exported, and the import time it measured itself. */
function loadOnce(file: string): Promise<{ loadMs: number; importMs: number }> {
  const probe = [
    'const start = performance.now();',
    'const loaded = await import(process.argv[1]);',
    'const importMs = performance.now() - start;',
    "if (typeof loaded.handler !== 'function') throw new Error('no handler export');",
    'process.stdout.write(JSON.stringify({ importMs }));',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const spawnedAt = performance.now();
    // process.execPath: the Node running this script, which npm scripts take from node_modules/.bin (Node 24).
    const child = spawn(process.execPath, ['--input-type=module', '-e', probe, pathToFileURL(file).href], {
      env: { PATH: process.env.PATH ?? '', ...lambdaEnvironment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let readyAt: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      readyAt ??= performance.now();
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0 || readyAt === undefined) return reject(new Error(`Loading ${file} failed (exit ${code}):\n${stderr.slice(-2_000)}`));
      resolve({ loadMs: readyAt - spawnedAt, importMs: (JSON.parse(stdout) as { importMs: number }).importMs });
    });
  });
}

export async function measureColdStarts({ runs }: { runs: number }): Promise<BundleMeasurement[]> {
  const outDir = await mkdtemp(join(tmpdir(), 'crm-bench-bundles-'));
  try {
    const entries: [string, string, FunctionTraits | undefined][] = [
      [MINIMAL, 'bench/minimal-handler.ts', undefined],
      [SCAFFOLD, 'bench/scaffold-handler.ts', undefined],
      ...(Object.entries(functionManifest) as [string, FunctionDeclaration][]).map(([name, declaration]): [string, string, FunctionTraits] => [
        name,
        declaration.entry,
        {
          tableAccess: declaration.tableAccess,
          ...(declaration.trigger.kind === 'http' ? { routes: routeKeysOf(declaration as TriggeredBy<'http'>) } : {}),
          sendsEmail: declaration.sendsEmail ?? false,
          startsExecutions: declaration.startsExecutionsOf !== undefined,
          publishesEvents: declaration.publishesEvents ?? false,
        },
      ]),
    ];
    const bundles = await Promise.all(entries.map(([name, entry]) => bundle(name, entry, outDir)));
    const samples = new Map(bundles.map((built) => [built.name, [] as { loadMs: number; importMs: number }[]]));
    // Round robin, so a noisy moment on the machine spreads over every bundle.
    for (let run = 0; run < runs; run++) {
      for (const built of bundles) samples.get(built.name)!.push(await loadOnce(built.file));
    }
    const loadMs = (name: string) => median(samples.get(name)!.map((sample) => sample.loadMs));
    return bundles.map((built, index) => ({
      name: built.name,
      bundleKb: built.bytes / 1024,
      sourceMapKb: built.mapBytes / 1024,
      loadMs: loadMs(built.name),
      importMs: median(samples.get(built.name)!.map((sample) => sample.importMs)),
      loadVsMinimal: ratio(loadMs(built.name), loadMs(MINIMAL)),
      topPackages: [...built.packages]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([packageName, bytes]) => ({ packageName, kb: bytes / 1024 })),
      flags: unusedCode(entries[index]![2], built),
    }));
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

export function coldStartTable(results: readonly BundleMeasurement[], runs: number): string {
  const minimal = results.find((result) => result.name === MINIMAL)!;
  const scaffold = results.find((result) => result.name === SCAFFOLD);
  // One line per finding, naming every bundle it applies to.
  const findings = new Map<string, { bundles: string[]; kb: number[] }>();
  for (const result of results) {
    for (const flag of result.flags) {
      const key = `${flag.packageName}: ${flag.why}`;
      const finding = findings.get(key) ?? { bundles: [], kb: [] };
      finding.bundles.push(result.name === MINIMAL ? 'minimal' : result.name === SCAFFOLD ? 'scaffold' : result.name);
      finding.kb.push(flag.kb);
      findings.set(key, finding);
    }
  }
  return table(
    `Cold start proxy: bundle size and load + init in a fresh Node ${process.versions.node} process (median of ${runs})`,
    ['bundle', 'KB', 'map KB', 'spawn→handler ms', 'import ms', 'vs minimal', 'KB vs minimal', 'largest packages (KB)'],
    results.map((result) => [
      result.name,
      fixed(result.bundleKb, 0),
      fixed(result.sourceMapKb, 0),
      fixed(result.loadMs, 1),
      fixed(result.importMs, 1),
      times(result.loadVsMinimal),
      times(ratio(result.bundleKb, minimal.bundleKb)),
      result.topPackages.map((entry) => `${entry.packageName} ${fixed(entry.kb, 0)}`).join(', '),
    ]),
    [
      'Built with the esbuild options of infra/constructs/crm-function.ts; loaded with the environment it sets (NODE_OPTIONS=--enable-source-maps included).',
      'spawn→handler: Node start-up + module load + top-level init; import: load + init only, as measured inside the process.',
      ...(scaffold ? [`The stack every function runs in (middy, Powertools logger and metrics) is ${times(scaffold.loadVsMinimal)} of minimal on its own: the rest of a function's ratio is its own code and Powertools idempotency.`] : []),
      ...(findings.size === 0
        ? ['no bundle carries code its routes do not use']
        : [...findings].map(([finding, { bundles, kb }]) => `UNUSED ${finding} [${fixed(Math.max(...kb), 0)} KB in ${bundles.join(', ')}]`)),
    ],
  );
}
