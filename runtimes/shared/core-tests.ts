/**
 * Which of core's test files (packages/core/test) run on Bun, Deno and workerd. A file runs when
 * nothing it imports or calls is Node-only; the rest stay with vitest on Node, each for the
 * reason given. core-list-tests.ts fails when a file is in neither list, so a new test file is
 * placed on purpose. The imports are literal so that esbuild can bundle them for workerd.
 */
import { registerFile, skipFile } from "../harness/vitest.ts";

type Load = () => Promise<unknown>;
type Runtime = "bun" | "deno" | "workerd";

/** Test files that need no Node-only API. */
export const PORTABLE_CORE_TESTS: readonly (readonly [name: string, load: Load])[] = [
  ["cookie-codec", () => import("../../packages/core/test/cookie-codec.test.ts")],
  ["count-sessions", () => import("../../packages/core/test/count-sessions.test.ts")],
  ["cookie-prefix", () => import("../../packages/core/test/cookie-prefix.test.ts")],
  ["cross-origin", () => import("../../packages/core/test/cross-origin.test.ts")],
  // One test serializes with the Buffer global, which Bun, Deno and workerd (nodejs_compat) have.
  ["data", () => import("../../packages/core/test/data.test.ts")],
  ["deadline-queue", () => import("../../packages/core/test/deadline-queue.test.ts")],
  ["error-guards", () => import("../../packages/core/test/error-guards.test.ts")],
  ["events", () => import("../../packages/core/test/events.test.ts")],
  ["expiry", () => import("../../packages/core/test/expiry.test.ts")],
  ["expiry-queue", () => import("../../packages/core/test/expiry-queue.test.ts")],
  ["forwarded-headers", () => import("../../packages/core/test/forwarded-headers.test.ts")],
  ["lifecycle", () => import("../../packages/core/test/lifecycle.test.ts")],
  // The store conformance suite against MemoryStore, and MemoryStore's own tests. The suite
  // names keys with process.pid and staggers requests with setImmediate: Node globals that Bun,
  // Deno and workerd (nodejs_compat, on by default since 2026-08-04) all provide.
  ["memory-store", () => import("../../packages/core/test/memory-store.test.ts")],
  ["options", () => import("../../packages/core/test/options.test.ts")],
  ["rejection-budget", () => import("../../packages/core/test/rejection-budget.test.ts")],
  ["saving", () => import("../../packages/core/test/saving.test.ts")],
  ["store-calls", () => import("../../packages/core/test/store-calls.test.ts")],
  ["store-failures", () => import("../../packages/core/test/store-failures.test.ts")],
  ["timeout-order", () => import("../../packages/core/test/timeout-order.test.ts")],
  ["transport", () => import("../../packages/core/test/transport.test.ts")],
  ["trusted-origins", () => import("../../packages/core/test/trusted-origins.test.ts")],
  ["user-sessions", () => import("../../packages/core/test/user-sessions.test.ts")],
];

/** Portable test files that one runtime cannot run, and why. */
export const CORE_TESTS_NOT_ON: Readonly<Record<Runtime, Readonly<Record<string, string>>>> = {
  bun: {},
  deno: {},
  workerd: {
    "error-guards":
      "it imports a second copy of src/errors.ts by a URL computed at run time, and a bundled Worker has no files to import",
  },
};

/** Test files that stay on Node, and why. */
export const NODE_ONLY_CORE_TESTS: Readonly<Record<string, string>> = {
  "constant-time": "reads core's sources with node:fs",
  "cookie-cost": "measures the heap with node:v8, node:vm and process.memoryUsage()",
  "hmac-vectors": "checks the node:crypto platform against node:crypto's createHmac, with Buffer",
  "expired-sweep":
    "drives the sweep's interval with vitest's fake timers, which the runtime harness has not",
  "first-use": "sets NODE_ENV with vi.stubEnv, which the runtime harness has not",
  flash: "checks the flash API's types with expectTypeOf, which the runtime harness has not",
  "request-path":
    "asserts the synchronous answers of the node:crypto platform and counts its HMAC calls; " +
    "on Web Crypto every signature check is a promise, which the other core files cover",
  "store-metrics-example":
    "runs an example file that lives outside the test folder the runtime lists cover",
  tokens:
    "compares against src/platform/node.ts (node:crypto) and decodes with Buffer; " +
    "its token, known-answer and signing tests run on the Web Crypto platform from " +
    "runtimes/shared/token-tests.ts",
  types: "type-level only (expectTypeOf): nothing runs",
};

/** Registers every portable core test file `runtime` can run, each as a suite `core/<file>`. */
export async function registerCoreTests(runtime: Runtime): Promise<void> {
  for (const [name, load] of PORTABLE_CORE_TESTS) {
    const reason = CORE_TESTS_NOT_ON[runtime][name];
    if (reason === undefined) await registerFile(`core/${name}`, load);
    else skipFile(`core/${name}`, reason);
  }
}

/** The core test files (names without `.test.ts`) that neither list places. */
export function unplacedCoreTests(fileNames: readonly string[]): string[] {
  const placed = new Set([
    ...PORTABLE_CORE_TESTS.map(([name]) => name),
    ...Object.keys(NODE_ONLY_CORE_TESTS),
  ]);
  return fileNames
    .filter((file) => file.endsWith(".test.ts"))
    .map((file) => file.slice(0, -".test.ts".length))
    .filter((name) => !placed.has(name));
}
