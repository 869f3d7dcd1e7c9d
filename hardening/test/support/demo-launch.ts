/**
 * The hardening suites start the demo through the demo's own test helper: as its own process,
 * exactly as `pnpm start` does, stopped by its PID.
 */
export {
  type DemoProcess as LaunchedDemo,
  startDemo as launchDemo,
} from "../../../examples/demo/test/support/demo-process.js";

/** The demo's `storeTimeoutMs` (see `examples/demo/src/main.ts`): one store call's limit. */
export const DEMO_STORE_TIMEOUT_MS = 1_000;
