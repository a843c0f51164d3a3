import { randomBytes } from 'node:crypto';
import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import { ForbiddenError, NotFoundError, PreconditionFailedError } from '../shared/errors';
import { inboundAddressKeys } from '../shared/keys';
import { findOwner } from '../owners/owners';
import type { CrmTablePort } from '../shared/table-port';
import * as z from '../shared/zod';

/**
 * Each user's logging address, `log-<token>@<inbound domain>` (HubSpot's BCC address): mail
 * they send or forward to it is logged on the contacts it is with. The token is the secret
 * (96 random bits); the sender must also be the user's own address. Rotating makes a new
 * token and retires the old one at once.
 */

export interface InboundAddress {
  readonly address: string;
  readonly createdAt: string;
  /** The only sender whose mail to it is logged: the user's owner email; null until they have one. */
  readonly acceptsMailFrom: string | null;
}

export const inboundAddressSchema = z
  .object({
    address: z.string().check(z.meta({ description: 'BCC this address on mail you send to log it on the contacts among its To and Cc addresses. Keep it private: it is the secret.' })),
    createdAt: z.string(),
    acceptsMailFrom: z.nullable(z.string()).check(
      z.meta({ description: "Mail to the address is logged only when it comes from this address (your owner entry's email). null: you have none yet, and nothing sent to it is logged; an admin sets it with PUT /v1/owners/{id}." }),
    ),
  })
  .check(z.meta({ id: 'InboundAddress' }));

const TOKEN = /^log-([0-9a-f]{24})@(.+)$/i;

/** The token of a logging address at `domain`, if the recipient is one. */
export function logAddressToken(recipient: string, domain: string): string | undefined {
  const match = TOKEN.exec(recipient.trim());
  return match && match[2]!.toLowerCase() === domain ? match[1]!.toLowerCase() : undefined;
}

export async function findUserOfToken(table: CrmTablePort, token: string): Promise<string | undefined> {
  return (await table.getItem(inboundAddressKeys.byToken(token)))?.userId as string | undefined;
}

function requireDomain(domain: string | undefined): string {
  if (!domain) throw new NotFoundError('inbound email', 'email.inbound is not configured for this stage (docs/integrations.md)');
  return domain;
}

function requireUser(actor: Actor): void {
  requireCapability(actor, 'createRecords', 'log email');
  if (actor.type !== 'user') throw new ForbiddenError(`${actor.type} ${actor.id} has no mailbox: logging addresses are for users.`, 'a signed-in user');
}

/** The caller's logging address, made on first use. */
export async function getInboundAddress(deps: CoreDependencies, domain: string | undefined, actor: Actor): Promise<InboundAddress> {
  const inboundDomain = requireDomain(domain);
  requireUser(actor);
  const current = await deps.table.getItem(inboundAddressKeys.ofUser(actor.id));
  const address = current ? { address: `log-${current.token as string}@${inboundDomain}`, createdAt: current.createdAt as string } : await issue(deps, inboundDomain, actor.id, undefined);
  return { ...address, acceptsMailFrom: await ownEmail(deps, actor.id) };
}

/** A new logging address for the caller; the old one logs nothing from now on. */
export async function rotateInboundAddress(deps: CoreDependencies, domain: string | undefined, actor: Actor): Promise<InboundAddress> {
  const inboundDomain = requireDomain(domain);
  requireUser(actor);
  const current = await deps.table.getItem(inboundAddressKeys.ofUser(actor.id));
  const address = await issue(deps, inboundDomain, actor.id, current ? { token: current.token as string, version: current.version as number } : undefined);
  return { ...address, acceptsMailFrom: await ownEmail(deps, actor.id) };
}

const ownEmail = async (deps: Pick<CoreDependencies, 'table'>, userId: string) => (await findOwner(deps.table, userId))?.email ?? null;

async function issue(deps: CoreDependencies, domain: string, userId: string, previous: { readonly token: string; readonly version: number } | undefined): Promise<Omit<InboundAddress, 'acceptsMailFrom'>> {
  const token = randomBytes(12).toString('hex');
  const createdAt = deps.clock.now().toISOString();
  try {
    await deps.table.transactWrite([
      {
        op: 'put',
        item: { ...inboundAddressKeys.ofUser(userId), entity: 'inboundAddress', token, createdAt, version: (previous?.version ?? 0) + 1 },
        condition: previous ? { kind: 'liveAtVersion', version: previous.version } : { kind: 'absent' },
        onConditionFailed: () => new PreconditionFailedError(),
      },
      { op: 'put', item: { ...inboundAddressKeys.byToken(token), entity: 'inboundAddressToken', userId, createdAt }, condition: { kind: 'absent' } },
      ...(previous ? [{ op: 'delete' as const, key: inboundAddressKeys.byToken(previous.token) }] : []),
    ]);
  } catch (error) {
    // Another request made (or rotated) it at the same moment: its address is the answer.
    if (!(error instanceof PreconditionFailedError)) throw error;
    const won = await deps.table.getItem(inboundAddressKeys.ofUser(userId));
    if (!won) throw error;
    return { address: `log-${won.token as string}@${domain}`, createdAt: won.createdAt as string };
  }
  return { address: `log-${token}@${domain}`, createdAt };
}
