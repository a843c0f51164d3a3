/** Who made a change, as recorded on timelines. Authentication fills this in; cascades act as `system`. */
export interface Actor {
  readonly type: 'user' | 'client' | 'system' | 'anonymous';
  readonly id?: string;
}

export const systemActor: Actor = { type: 'system', id: 'cascade' };
