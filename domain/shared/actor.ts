/** Roles in ascending order of what they may do. */
export const roles = ['viewer', 'member', 'manager', 'admin'] as const;
export type Role = (typeof roles)[number];

/**
 * Who is acting: a signed-in user, a machine client (OAuth2 client credentials), or
 * the system itself (cascades). It comes only from the verified token the API
 * Gateway authorizer hands the handler; its `role` decides what it may do, and the
 * whole actor is written to timelines and the audit log.
 */
export interface Actor {
  readonly type: 'user' | 'client' | 'system';
  readonly id: string;
  readonly role: Role;
  /** The API request that made the change, for tracing an audit entry to its logs. */
  readonly requestId?: string;
  /** For system changes: the user or client whose action caused them (a cascade of their delete). */
  readonly onBehalfOf?: string;
}

export const systemActor: Actor = { type: 'system', id: 'cascade', role: 'admin' };
