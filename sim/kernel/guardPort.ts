// Wraps a port handed to a simulated process so a killed process cannot act on the world and a hung
// one cannot see results: calls made after death never settle, results and callbacks into the
// process go through env.guard (dropped after death, queued while hung, released on resume).

/** The part of a process environment the wrapper needs (see ProcessEnv in process.ts). */
export interface GuardScope {
  alive(): boolean;
  guard<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R | undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Callbacks (and handler objects such as BrokerWsHandlers) passed into a port call back into the process. */
function guardArgument(arg: unknown, scope: GuardScope): unknown {
  if (typeof arg === 'function') return scope.guard(arg as (...a: unknown[]) => unknown);
  if (!isPlainObject(arg)) return arg;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(arg)) {
    const value = arg[key];
    if (typeof value === 'function') {
      copy ??= { ...arg };
      copy[key] = scope.guard(value as (...a: unknown[]) => unknown);
    }
  }
  return copy ?? arg;
}

/**
 * Returns a view of `port` whose methods, when called by the process:
 * - after the process died: do nothing and return a promise that never settles (its continuation
 *   is dead code, and the world must not see the call);
 * - otherwise call through, with function arguments guarded, and deliver the promise's outcome
 *   through the guard (so it is dropped if the process died meanwhile, and late if it hung).
 * Non-function properties (e.g. `broker`, `appKey`) pass through unchanged.
 */
export function guardPort<T extends object>(port: T, scope: GuardScope): T {
  const wrappers = new Map<PropertyKey, { original: unknown; wrapped: unknown }>();
  return new Proxy(port, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      const cached = wrappers.get(key);
      if (cached !== undefined && cached.original === value) return cached.wrapped;
      const method = value as (...a: unknown[]) => unknown;
      const wrapped = (...args: unknown[]): unknown => {
        if (!scope.alive()) return new Promise<never>(() => {});
        const result = method.apply(
          target,
          args.map((a) => guardArgument(a, scope)),
        );
        if (!isThenable(result)) return result;
        return new Promise((resolve, reject) => {
          result.then(scope.guard(resolve), scope.guard(reject));
        });
      };
      wrappers.set(key, { original: value, wrapped });
      return wrapped;
    },
  });
}
