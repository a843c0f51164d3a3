import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionDeclaration } from '../../functions/manifest';
import type { CrmTable } from './crm-table';

/**
 * Modules each bundle takes from elsewhere, relative to the project root. The SDK's default
 * credential chain becomes the environment provider alone (adapters/aws/lambda-credentials.ts),
 * the only one that runs in Lambda. bench/cold-start.ts bundles with the same aliases.
 */
export const lambdaBundleAliases = { '@aws-sdk/credential-provider-node': './adapters/aws/lambda-credentials.ts' } as const;

export interface CrmFunctionProps {
  /** Its entry in functions/manifest.ts: module, memory, timeout, and its share of the table (granted here and nowhere else). */
  readonly declaration: Pick<FunctionDeclaration, 'entry' | 'memoryMb' | 'timeoutSeconds' | 'tableAccess' | 'assets'>;
  readonly table: CrmTable;
  /** Directory that `definition.entry` and the lock file are relative to. */
  readonly projectRoot: string;
  readonly logRetention: RetentionDays;
  /** Settings the handler reads besides the table name, e.g. AUTH_ROLE_CLAIM. */
  readonly environment?: Record<string, string>;
}

/**
 * One CRM Lambda (behind a route family, or fed by the table's stream), with everything
 * it is allowed to do granted here and nowhere else: its own log group and its share of
 * the table. Whatever triggers it adds its own grants (an event source, for example).
 */
export class CrmFunction extends Construct {
  readonly handler: NodejsFunction;

  constructor(scope: Construct, id: string, props: CrmFunctionProps) {
    super(scope, id);
    const { declaration: definition, table, projectRoot } = props;

    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });

    // Instead of the AWSLambdaBasicExecutionRole managed policy, which may create any
    // log group and write to all of them: this function writes to its own group only.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    this.handler = new NodejsFunction(this, 'Handler', {
      entry: path.join(projectRoot, definition.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: definition.memoryMb,
      timeout: Duration.seconds(definition.timeoutSeconds),
      logGroup,
      role,
      environment: {
        ...props.environment,
        TABLE_NAME: table.table.tableName,
        POWERTOOLS_SERVICE_NAME: 'crm',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        // Some dependencies are CommonJS and call `require`, which ES modules lack.
        banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        minify: true,
        // Error class names are what Step Functions retries on and what logs and problem
        // types name (ServiceUnavailableError): minifying must not rename them.
        keepNames: true,
        sourceMap: true,
        // Ship the SDK version from package-lock.json, the one the tests ran against,
        // rather than whatever version the Lambda runtime happens to provide.
        bundleAwsSDK: true,
        esbuildArgs: Object.fromEntries(Object.entries(lambdaBundleAliases).map(([module, replacement]) => [`--alias:${module}`, replacement])),
        // Files the handler reads at run time, at the path they have in the repository (Node resolves node_modules/… from the bundle).
        ...(definition.assets?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  definition.assets!.map((asset) => `mkdir -p "${path.posix.join(outputDir, path.posix.dirname(asset))}" && cp "${path.posix.join(inputDir, asset)}" "${path.posix.join(outputDir, asset)}"`),
              },
            }
          : {}),
      },
    });

    table.grantAccess(this.handler, definition.tableAccess);
  }
}
