/**
 * The adapter conformance suite on `@sesame/hono`, with the Hono app of the adapter's own
 * harness (packages/adapter-hono/test/harness.ts) served by the runtime's server.
 */
import { type ConformanceServer, describeAdapterConformance } from "@sesame/core/testing";
import { afterAll, beforeAll, vi } from "vitest";
import { honoApp } from "../../packages/adapter-hono/test/harness.ts";

/** Serves `fetch` on 127.0.0.1 with a free port. */
export type Serve = (
  fetch: (request: Request) => Response | Promise<Response>,
) => Promise<ConformanceServer>;

export function describeHonoConformance(name: string, serve: Serve): void {
  // `sessionErrorHandler` logs unexpected errors, as Hono's default handler does; the suite
  // throws some on purpose.
  beforeAll(() => {
    vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });
  describeAdapterConformance(name, { start: (app) => serve(honoApp(app).fetch) });
}
