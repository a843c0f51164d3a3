import { z } from 'zod';

/**
 * The one config loader. Every setting a Lambda or the local runtime reads comes
 * from the environment through this schema, so a missing or malformed value fails
 * at cold start with a clear message instead of at the first request.
 */
const configSchema = z.object({
  TABLE_NAME: z.string().min(3),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Set only locally: where DynamoDB Local listens. Unset in AWS. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  /** How long a stored Idempotency-Key response is replayed. */
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().positive().default(86_400),
  POWERTOOLS_SERVICE_NAME: z.string().default('crm'),
  /** JWT claim holding the user's CRM roles: Cognito groups, or a claim of an external OIDC issuer. */
  AUTH_ROLE_CLAIM: z.string().min(1).default('cognito:groups'),
});

export type Config = z.infer<typeof configSchema>;

let cached: Config | undefined;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (env === process.env && cached) return cached;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  if (env === process.env) cached = parsed.data;
  return parsed.data;
}
