import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from '../domain/shared/zod';

/** Settings of the local runtime (npm start, seed, token), read once from the environment. */
const localSettings = z.object({
  PORT: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(65_535)), 3000),
  TABLE_NAME: z._default(z.string().check(z.minLength(3)), 'crm-local'),
  /** Relative paths are taken from the repository root. */
  CRM_DATA_DIR: z._default(z.string().check(z.minLength(1)), '.crm-data'),
  /**
   * Caps every Step Functions Wait state and retry pause at this many seconds, so a
   * follow-up sequence meant to span days runs in seconds (0: no waiting at all).
   * Unset, waits last as long as deployed.
   */
  CRM_LOCAL_MAX_WAIT_SECONDS: z.pipe(z.transform((value: unknown) => (value === '' ? undefined : value)), z.optional(z.coerce.number().check(z.gte(0)))),
  /** Where the local SMTP server (playing SES receiving) listens; 0 picks a free port. */
  CRM_LOCAL_SMTP_PORT: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(65_535)), 2525),
  /** `false` keeps the terminal free of the one line per published event (they stay at the events endpoint). */
  CRM_LOCAL_PRINT_EVENTS: z._default(z.pipe(z.enum(['true', 'false']), z.transform((value) => value === 'true')), true),
});

export function loadLocalSettings(env: NodeJS.ProcessEnv = process.env) {
  const parsed = localSettings.safeParse(env);
  if (!parsed.success) {
    console.error(`Invalid local settings:\n${z.prettifyError(parsed.error)}`);
    process.exit(1);
  }
  const dataDir = resolve(fileURLToPath(new URL('..', import.meta.url)), parsed.data.CRM_DATA_DIR);
  return { ...parsed.data, dataDir, signingKeyPath: join(dataDir, 'local-signing-key.json') };
}

/** Where `npm start` notes its table and DynamoDB endpoint, for `npm run seed` to write to. */
export const localRuntimeFile = (dataDir: string) => join(dataDir, 'local-runtime.json');
