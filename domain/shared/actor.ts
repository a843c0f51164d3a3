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
  readonly type: 'user' | 'client' | 'system' | 'workflow' | 'import';
  readonly id: string;
  readonly role: Role;
  /** The API request that made the change, for tracing an audit entry to its logs. */
  readonly requestId?: string;
  /** For system changes: the user or client whose action caused them (a cascade of their delete); for an import's, who started it. */
  readonly onBehalfOf?: string;
  /**
   * For a workflow's changes: how many workflow runs in a row led to it (1 for a run that a
   * person's or client's change triggered). A change this deep triggers no further runs.
   */
  readonly depth?: number;
}

export const systemActor: Actor = { type: 'system', id: 'cascade', role: 'admin' };
