/**
 * Route selection as API Gateway HTTP APIs do it: a route key is `METHOD /path`,
 * `{name}` matches one path segment, a trailing `{name+}` matches the rest of the
 * path, method `ANY` matches every method, and the most specific route wins
 * (literal segment over parameter over greedy parameter, exact method over ANY).
 */

export interface RouteMatch<T> {
  target: T;
  routeKey: string;
  /** URL-decoded values; absent when the route has no parameters, as in the event. */
  pathParameters?: Record<string, string>;
}

export type Router<T> = (method: string, rawPath: string) => RouteMatch<T> | undefined;

type Segment = { kind: 'literal'; text: string } | { kind: 'parameter'; name: string } | { kind: 'greedy'; name: string };

interface CompiledRoute<T> {
  routeKey: string;
  method: string;
  segments: Segment[];
  target: T;
}

const SEGMENT_RANK = { literal: 0, parameter: 1, greedy: 2 } as const;

export function createRouter<T>(routes: ReadonlyArray<{ routeKey: string; target: T }>): Router<T> {
  const compiled = routes.map(({ routeKey, target }) => compileRoute(routeKey, target)).sort(bySpecificity);
  return (method, rawPath) => {
    const pathSegments = rawPath.split('/').slice(1);
    for (const route of compiled) {
      if (route.method !== 'ANY' && route.method !== method) continue;
      const parameters = matchSegments(route.segments, pathSegments);
      if (!parameters) continue;
      return {
        target: route.target,
        routeKey: route.routeKey,
        ...(Object.keys(parameters).length > 0 ? { pathParameters: parameters } : {}),
      };
    }
    return undefined;
  };
}

function compileRoute<T>(routeKey: string, target: T): CompiledRoute<T> {
  const [method, path, ...rest] = routeKey.split(' ');
  if (!method || !path?.startsWith('/') || rest.length > 0) throw new Error(`Invalid route key "${routeKey}": expected "METHOD /path"`);
  const segments = path
    .split('/')
    .slice(1)
    .map((text, index, all): Segment => {
      const greedy = /^\{(\w+)\+\}$/.exec(text);
      if (greedy?.[1]) {
        if (index !== all.length - 1) throw new Error(`Invalid route key "${routeKey}": a greedy parameter must come last`);
        return { kind: 'greedy', name: greedy[1] };
      }
      const parameter = /^\{(\w+)\}$/.exec(text);
      return parameter?.[1] ? { kind: 'parameter', name: parameter[1] } : { kind: 'literal', text };
    });
  return { routeKey, method: method.toUpperCase(), segments, target };
}

function bySpecificity<T>(a: CompiledRoute<T>, b: CompiledRoute<T>): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index++) {
    const difference = segmentRank(a.segments[index]) - segmentRank(b.segments[index]);
    if (difference !== 0) return difference;
  }
  return Number(a.method === 'ANY') - Number(b.method === 'ANY');
}

function segmentRank(segment: Segment | undefined): number {
  return segment ? SEGMENT_RANK[segment.kind] : -1;
}

/** Path parameters by name when the path fits the route, otherwise undefined. */
function matchSegments(segments: readonly Segment[], pathSegments: readonly string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    const actual = pathSegments[index];
    if (actual === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (actual !== segment.text) return undefined;
    } else if (segment.kind === 'parameter') {
      if (actual === '') return undefined;
      parameters[segment.name] = decodePathSegment(actual);
    } else {
      const rest = pathSegments.slice(index).join('/');
      if (rest === '') return undefined;
      parameters[segment.name] = decodePathSegment(rest);
      return parameters;
    }
  }
  return segments.length === pathSegments.length ? parameters : undefined;
}

/** A malformed escape (`%zz`) is passed through as sent rather than failing the request. */
function decodePathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
