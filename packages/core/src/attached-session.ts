/**
 * Where an adapter keeps a request's session for its `getSession(request, manager)`: a property
 * under a private symbol on the framework's own request object. A `WeakMap` keyed by requests
 * would do the same, but every short-lived key costs the garbage collector an ephemeron to
 * trace; on a small route that was most of the session's cost.
 *
 * @module
 */
import type { RequestSession } from "./request-session.js";

const ATTACHED = Symbol("sesame.attachedSession");

interface Attached {
  manager: object;
  session: object;
}

type Carrier = { [ATTACHED]?: Attached };

/**
 * Records that `session` (a `RequestSession`), loaded by `manager` (a `SessionManager`), belongs
 * to `request` (the framework's request or
 * context object). For adapters.
 *
 * @example
 * ```ts
 * attachSession(ctx, manager, session);
 * ```
 */
export function attachSession(request: object, manager: object, session: object): void {
  // A plain assignment: `Object.defineProperty` (to hide it from `{ ...request }`, which would
  // copy this request's own session along) costs ten times as much on every request.
  (request as Carrier)[ATTACHED] = { manager, session };
}

/**
 * The session that `manager` attached to `request`, or `undefined` when no session of that
 * manager was attached (its middleware did not run, or another manager's did). For adapters'
 * `getSession`.
 *
 * @example
 * ```ts
 * const session = attachedSession(ctx, manager);
 * if (session === undefined) throw new Error("add the session middleware first");
 * ```
 */
export function attachedSession(request: object, manager: object): RequestSession | undefined {
  const attached = (request as Carrier)[ATTACHED];
  if (attached === undefined || attached.manager !== manager) return undefined;
  return attached.session as RequestSession;
}
