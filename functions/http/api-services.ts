import type { CrmRuntime } from '../../adapters/runtime';
import { noteSignedInUser, type SignedInUser } from '../../domain/owners/owners';
import type { ApiCoreOptions } from './api-core';
import { idempotencyFor } from './idempotency-store';

/**
 * Notes each signed-in user as an owner (domain/owners/owners.ts) at most once per day per
 * container: a request of someone already noted today costs nothing. A failure to note is
 * logged by the caller and never fails the request.
 */
export function ownerRegistryFor(runtime: Pick<CrmRuntime, 'table' | 'clock'>): NonNullable<ApiCoreOptions['owners']> {
  const notedToday = new Set<string>();
  return {
    async note(user: SignedInUser) {
      const key = `${runtime.clock.now().toISOString().slice(0, 10)}|${user.id}|${user.email ?? ''}|${user.name ?? ''}`;
      if (notedToday.has(key)) return;
      await noteSignedInUser(runtime, user);
      notedToday.add(key);
    },
  };
}

/** What the API functions that write give apiCore: Idempotency-Key support, and owners noted as they sign in. */
export const apiServicesFor = (runtime: CrmRuntime): Pick<ApiCoreOptions, 'idempotency' | 'owners'> => ({ idempotency: idempotencyFor(runtime), owners: ownerRegistryFor(runtime) });
