/**
 * Values built the first time they are read, then kept. zod builds a schema the moment it
 * is declared, and each Lambda bundles more schemas than its requests use (a record
 * function carries all four record models, the OpenAPI-only ones among them): declaring
 * them this way keeps that work out of every cold start (bench/cold-start.ts measures it).
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/** `target`, with each of `builders` as a property built on first read. */
export function withLazyProperties<T extends object, B extends object>(target: T, builders: { readonly [K in keyof B]: () => B[K] }): T & B {
  for (const [name, build] of Object.entries(builders) as [string, () => unknown][]) {
    Object.defineProperty(target, name, { enumerable: true, get: once(build) });
  }
  return target as T & B;
}
