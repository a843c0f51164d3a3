import { parseArgs } from 'node:util';
import * as z from '../domain/shared/zod';
import { roles } from '../domain/shared/actor';
import { loadSigningKey, mintToken, type TokenSubject } from './local-jwt';
import { loadLocalSettings } from './local-settings';

/**
 * `npm run --silent token -- --role admin [--user <id>]` prints a bearer token for the
 * local API, and nothing else, so `TOKEN=$(npm run --silent token -- --role member)` works.
 * `--client <id> --scopes crm/read,crm/write` mints a machine client's token instead.
 */
const usage =
  'usage: npm run --silent token -- --role admin|manager|member|viewer [--user <id>] [--email <address>] [--name <name>] [--expires <seconds>]\n' +
  '       npm run --silent token -- --client <id> --scopes crm/read,crm/write,crm/admin [--expires <seconds>]\n' +
  '--email and --name go into the token as its claims (the owner entry, the daily digest and the logging address use the email).';

let parsed;
try {
  parsed = parseArgs({
    options: {
      role: { type: 'string' },
      user: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      client: { type: 'string' },
      scopes: { type: 'string' },
      expires: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (parsed.values.help) {
  console.log(usage);
  process.exit(0);
}
const { help: _help, ...values } = parsed.values;

const args = z
  .object({
    role: z.optional(z.enum(roles)),
    user: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    email: z.optional(z.email()),
    name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    client: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    scopes: z.optional(z.string()),
    expires: z._default(z.coerce.number().check(z.int(), z.positive(), z.lte(86_400 * 30)), 3600),
  })
  .safeParse(values);
if (!args.success || (!args.data.role && !args.data.client) || (args.data.role && args.data.client)) {
  console.error(args.success ? usage : `${z.prettifyError(args.error)}\n${usage}`);
  process.exit(2);
}
const { role, user, email, name, client, scopes, expires } = args.data;
const subject: TokenSubject = role ? { kind: 'user', role, id: user ?? `local-${role}`, ...(email ? { email } : {}), ...(name ? { name } : {}) } : { kind: 'client', id: client!, scopes: (scopes ?? 'crm/read').split(',').map((scope) => scope.trim()) };

const key = loadSigningKey(loadLocalSettings().signingKeyPath);
process.stdout.write(`${await mintToken(key, subject, { expiresInSeconds: expires })}\n`);
