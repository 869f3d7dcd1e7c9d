/**
 * The hardening suites start the demo through the demo's own test helper: as its own process,
 * exactly as `pnpm start` does, stopped by its PID.
 */
import { type DemoProcess, startDemo } from "../../../examples/demo/test/support/demo-process.js";

export type { DemoProcess as LaunchedDemo };

/** The demo's `storeTimeoutMs` (see `examples/demo/src/main.ts`): one store call's limit. */
export const DEMO_STORE_TIMEOUT_MS = 1_000;

/**
 * Sign-in limits far above any suite's volume. The suites here send thousands of logins from
 * one address, many of them concurrent or failing on purpose, and measure the stores under that
 * load; the demo's own tests (`examples/demo/test/login-throttle.test.ts`) prove the throttle.
 */
const UNTHROTTLED_LOGINS = {
  LOGIN_MAX_FAILURES_PER_ACCOUNT: "1000000",
  LOGIN_MAX_FAILURES_PER_CLIENT: "1000000",
};

/** Starts the demo with `env` (and sign-in limits out of the way unless `env` sets them). */
export function launchDemo(env: Record<string, string>): Promise<DemoProcess> {
  return startDemo({ ...UNTHROTTLED_LOGINS, ...env });
}
