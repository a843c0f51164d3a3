import { requireCapability, type Capability } from '../access/permissions';
import { changedFields } from '../records/field-changes';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import { AlreadyExistsError, NotFoundError, PreconditionFailedError } from '../shared/errors';
import type { ListQuery } from '../shared/key-design';
import { requireIfMatch, retryLostRaces, type IfMatch } from '../shared/optimistic-retry';
import type { Page, PageRequest } from '../shared/page';
import { listPage } from '../shared/pagination';
import type { CrmTablePort, Item, ItemKey } from '../shared/table-port';
import { auditOp, type AuditedType } from './audit-entries';

/**
 * The settings a company writes and the CRM follows (sequences, email templates): one item
 * each, versioned, every create, change and delete written together with its audit entry.
 * One declaration per kind gives its storage and the five ways to touch it; the use cases
 * add who may do what and the rules of their kind.
 */

export interface AuditedDocument {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export interface DocumentKind<T extends AuditedDocument> {
  /** As the API's errors name it: `email template`. */
  readonly resource: string;
  readonly auditedAs: AuditedType;
  readonly key: (id: string) => ItemKey;
  /** The list of every document of the kind, newest first. */
  readonly list: () => ListQuery;
  toItem(document: T): Item;
  fromItem(item: Item): T;
  /** The fields whose old and new values the audit log keeps. */
  readonly audited: readonly (keyof T & string)[];
}

export function auditedDocuments<T extends AuditedDocument>(kind: DocumentKind<T>) {
  const find = async (table: CrmTablePort, id: string): Promise<T | undefined> => {
    const item = await table.getItem(kind.key(id));
    return item ? kind.fromItem(item) : undefined;
  };
  const require = async (deps: Pick<CoreDependencies, 'table'>, id: string): Promise<T> => {
    const document = await find(deps.table, id);
    if (!document) throw new NotFoundError(kind.resource, id);
    return document;
  };
  const audit = (deps: CoreDependencies, actor: Actor, id: string, at: string, event: 'created' | 'updated' | 'deleted', before: Partial<T>, after: Partial<T>) =>
    auditOp({ recordType: kind.auditedAs, recordId: id, at, entryId: deps.ids.next(), actor, event, changes: changedFields<Partial<T>>(before, after, kind.audited) });

  const list = (deps: Pick<CoreDependencies, 'table'>, page: PageRequest): Promise<Page<T>> => listPage(deps.table, kind.list(), page, kind.fromItem);
  const remove = (deps: CoreDependencies, id: string, actor: Actor, ifMatch?: IfMatch): Promise<void> =>
    retryLostRaces(deps.clock, { resource: kind.resource, id, ...(ifMatch ? { ifMatch } : {}) }, async () => {
      const current = await require(deps, id);
      requireIfMatch(ifMatch, current.version);
      await deps.table.transactWrite([
        { op: 'delete', key: kind.key(id), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new PreconditionFailedError() },
        audit(deps, actor, id, deps.clock.now().toISOString(), 'deleted', current, {}),
      ]);
    });

  return {
    find,
    require,

    /** Writes a new document. A create retried with the same (Idempotency-Key derived) id answers what the first attempt wrote. */
    async create(deps: CoreDependencies, document: T, actor: Actor): Promise<T> {
      try {
        await deps.table.transactWrite([
          { op: 'put', item: kind.toItem(document), condition: { kind: 'absent' }, onConditionFailed: () => new AlreadyExistsError(kind.resource, document.id) },
          audit(deps, actor, document.id, document.createdAt, 'created', {}, document),
        ]);
        return document;
      } catch (error) {
        const existing = error instanceof AlreadyExistsError ? await find(deps.table, document.id) : undefined;
        if (!existing) throw error;
        return existing;
      }
    },

    list,

    /** Changes a document under optimistic locking: lost races are retried (the change runs again on what won), If-Match is honoured. */
    update(
      deps: CoreDependencies,
      id: string,
      actor: Actor,
      ifMatch: IfMatch | undefined,
      change: (current: T) => Promise<Omit<T, 'updatedAt' | 'version'>> | Omit<T, 'updatedAt' | 'version'>,
    ): Promise<T> {
      return retryLostRaces(deps.clock, { resource: kind.resource, id, ...(ifMatch ? { ifMatch } : {}) }, async () => {
        const current = await require(deps, id);
        requireIfMatch(ifMatch, current.version);
        const next = { ...(await change(current)), updatedAt: deps.clock.now().toISOString(), version: current.version + 1 } as T;
        await deps.table.transactWrite([
          { op: 'put', item: kind.toItem(next), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new PreconditionFailedError() },
          audit(deps, actor, id, next.updatedAt, 'updated', current, next),
        ]);
        return next;
      });
    },

    remove,

    /**
     * The use cases every kind shares, with who may do them: read and list (every role that
     * reads), delete (`manage`, who writes the kind). A refusal names the kind in the plural.
     */
    useCases(manage: Capability) {
      const plural = `${kind.resource}s`;
      return {
        get: (deps: Pick<CoreDependencies, 'table'>, id: string, actor: Actor): Promise<T> => {
          requireCapability(actor, 'readRecords', `read ${plural}`);
          return require(deps, id);
        },
        list: (deps: Pick<CoreDependencies, 'table'>, page: PageRequest, actor: Actor): Promise<Page<T>> => {
          requireCapability(actor, 'readRecords', `list ${plural}`);
          return list(deps, page);
        },
        remove: (deps: CoreDependencies, id: string, actor: Actor, ifMatch?: IfMatch): Promise<void> => {
          requireCapability(actor, manage, `delete ${plural}`);
          return remove(deps, id, actor, ifMatch);
        },
      };
    },
  };
}
