/** One page of a list, and where the next one starts. Every list in the CRM is cursor-paginated. */
export interface Page<T> {
  readonly items: T[];
  /** Opaque; null on the last page. */
  readonly nextCursor: string | null;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}
