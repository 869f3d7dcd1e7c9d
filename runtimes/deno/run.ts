/**
 * The Deno runner: `deno run --conditions source -A deno/run.ts`, from runtimes/ (whose
 * deno.json maps "vitest" to the shim, resolves packages from node_modules and lets core's
 * `./x.js` imports find `./x.ts`). On core's TypeScript sources: core's portable tests (the
 * store conformance suite on MemoryStore among them) and the token tests, the store conformance
 * suite on SqliteStore over node:sqlite, and the adapter conformance suite on Hono served by
 * Deno.serve. Then the README's Deno app, started as `deno run app.ts` on the built packages.
 */
import { runRegisteredTests } from "../harness/run.ts";
import { registerFile } from "../harness/vitest.ts";
import { registerCoreTests } from "../shared/core-tests.ts";
import { describeTokenTests } from "../shared/token-tests.ts";

await registerFile("runtimes/tokens", async () => describeTokenTests("Web Crypto"));
await registerCoreTests("deno");
await registerFile("runtimes/core test list", () => import("../shared/core-list-tests.ts"));
await registerFile("sqlite/node:sqlite", () => import("./sqlite.test.ts"));
await registerFile("hono/Deno.serve", () => import("./hono.test.ts"));
await registerFile("readme/deno app", () => import("./readme.test.ts"));

const summary = await runRegisteredTests("deno");
Deno.exitCode = summary.failed === 0 ? 0 : 1;
