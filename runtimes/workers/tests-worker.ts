/**
 * The Worker that runs the suites inside workerd: `GET /run?slots=PORT,PORT,…&app=PORT` registers
 * them, runs them in order and answers the report as JSON. The adapter conformance suite builds
 * an app per test; each "slot" socket of workerd.capnp delivers to this same Worker (one isolate)
 * with an `x-sesame-slot` header, and the request goes to the app started on that slot.
 */
import { type RunSummary, runRegisteredTests } from "../harness/run.ts";
import { expectFailures, registerFile, skipTests } from "../harness/vitest.ts";
import { registerCoreTests } from "../shared/core-tests.ts";
import { describeHonoConformance } from "../shared/hono-conformance.ts";
import { describeReadmeApp } from "../shared/readme-app-tests.ts";
import { describeTokenTests } from "../shared/token-tests.ts";

type Fetch = (request: Request) => Response | Promise<Response>;

/** The app serving each slot, by slot number. */
const apps = new Map<string, Fetch>();

/**
 * Tests of the adapter suite that cannot run here. workerd runs a promise's callbacks in the
 * request that settled it: a route held on the suite's `Latch` is released by the test's
 * request, so the route would go on, and build its response, inside another request.
 */
const LATCH =
  "its route waits on the suite's Latch, which the test's request releases; workerd would resume the route inside the test's request, which may not answer another request";
const WORKERD_SKIPS: Readonly<Record<string, string>> = {
  "keeps both changes of two overlapping requests that change different keys": LATCH,
  "never undoes a logout that happened during a slow request": LATCH,
};

/** Tests that run and fail on workerd, and why (runtimes/README.md has more). */
const WORKERD_KNOWN_FAILURES: Readonly<Record<string, string>> = {
  "reads the session cookie from a second Cookie header line":
    'workerd\'s HTTP server joins repeated Cookie fields with ", " (as Fetch Headers do), and core rightly never splits a cookie value at a comma, so the session in the second field is not seen',
};

async function register(slotPorts: string[], appPort: string): Promise<void> {
  const free = slotPorts.map((port, slot) => ({ slot: String(slot), port }));
  await registerFile("runtimes/tokens", async () => describeTokenTests("Web Crypto"));
  await registerCoreTests("workerd");
  await registerFile("hono/workerd", async () =>
    describeHonoConformance("Hono on workerd", async (fetch) => {
      const taken = free.shift();
      if (taken === undefined) throw new Error("Every slot socket is in use.");
      apps.set(taken.slot, fetch);
      return {
        url: `http://127.0.0.1:${taken.port}`,
        close: async () => {
          apps.delete(taken.slot);
          free.push(taken);
        },
      };
    }),
  );
  await registerFile("readme/workers app", async () =>
    describeReadmeApp("the README's Workers app on workerd", async () => ({
      url: `http://127.0.0.1:${appPort}`,
      close: async () => {},
    })),
  );
  skipTests(WORKERD_SKIPS);
  expectFailures(WORKERD_KNOWN_FAILURES);
}

/** The request as the app would get it, without the slot marker. */
function withoutSlot(request: Request): Request {
  const copy = new Request(request);
  copy.headers.delete("x-sesame-slot");
  return copy;
}

let report: Promise<RunSummary> | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const slot = request.headers.get("x-sesame-slot");
    if (slot !== null) {
      const app = apps.get(slot);
      if (app === undefined) return new Response("No app on this slot.", { status: 502 });
      return app(withoutSlot(request));
    }
    const url = new URL(request.url);
    if (url.pathname !== "/run") return new Response("Not found", { status: 404 });
    if (report !== undefined) return new Response("Already run.", { status: 409 });
    const slots = (url.searchParams.get("slots") ?? "").split(",").filter(Boolean);
    await register(slots, url.searchParams.get("app") ?? "");
    report = runRegisteredTests("workerd", { log: () => {}, close: false });
    return Response.json(await report);
  },
};
