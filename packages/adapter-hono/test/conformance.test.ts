import { describeAdapterConformance } from "@sesame/core/testing";
import { afterAll, beforeAll, vi } from "vitest";
import { honoHarness } from "./harness.js";

// `sessionErrorHandler` logs unexpected errors, as Hono's default handler does; the suite throws
// some on purpose.
beforeAll(() => {
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterAll(() => {
  vi.restoreAllMocks();
});

describeAdapterConformance("Hono on @hono/node-server", honoHarness);
