/**
 * Matches an event against a Lambda/EventBridge event filter pattern, for the subset
 * of the syntax this project's patterns use: nested objects whose leaves are arrays of
 * literal values (match if the event's value, or an element of it, equals one of them),
 * and `$or` (a list of patterns, any of which may match besides the rest). Anything richer
 * (prefix, numeric, exists…) is refused loudly rather than matched wrongly.
 */
type Pattern = { readonly [key: string]: Pattern | readonly unknown[] };

export function matchesEventPattern(pattern: Pattern, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') return (expected as readonly Pattern[]).some((alternative) => matchesEventPattern(alternative, event));
    const actual = (event as Record<string, unknown>)[key];
    if (!Array.isArray(expected)) return matchesEventPattern(expected as Pattern, actual);
    for (const literal of expected) {
      if (typeof literal === 'object' && literal !== null) {
        throw new Error(`Unsupported event filter rule ${JSON.stringify(literal)} in the local matcher: add it there before using it in a pattern.`);
      }
    }
    // As in EventBridge, an array in the event matches when any of its elements does.
    return Array.isArray(actual) ? actual.some((element) => expected.includes(element)) : expected.some((literal) => literal === actual);
  });
}
