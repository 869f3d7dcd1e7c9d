/**
 * The Bun runner: `bun --conditions=source bun/run.ts`, from runtimes/ (whose bunfig.toml maps
 * "vitest" to the shim). On core's TypeScript sources: core's portable tests (the store
 * conformance suite on MemoryStore among them) and the token tests, the store conformance suite
 * on SqliteStore over bun:sqlite, and the adapter conformance suite on Hono served by Bun.serve.
 * Then the README's Bun app, started as `bun app.ts` on the built packages.
 */
import { runRegisteredTests } from "../harness/run.ts";
import { registerFile } from "../harness/vitest.ts";
import { registerCoreTests } from "../shared/core-tests.ts";
import { describeTokenTests } from "../shared/token-tests.ts";

await registerFile("runtimes/tokens", async () => describeTokenTests("node:crypto"));
await registerCoreTests("bun");
await registerFile("runtimes/core test list", () => import("../shared/core-list-tests.ts"));
await registerFile("sqlite/bun:sqlite", () => import("./sqlite.test.ts"));
await registerFile("hono/Bun.serve", () => import("./hono.test.ts"));
await registerFile("readme/bun app", () => import("./readme.test.ts"));

const summary = await runRegisteredTests("bun");
process.exitCode = summary.failed === 0 ? 0 : 1;
