/**
 * One demo process on one store corner, with a keep-alive client: what the load, fault and
 * anonymous-traffic suites all start before their tests and stop after them.
 */
import { expect } from "vitest";
import { type LaunchedDemo, launchDemo } from "./demo-launch.js";
import type { StoreCorner } from "./demo-stores.js";
import { LoadClient } from "./load-client.js";

/** A started demo, the store corner it uses, and a client to it. */
export interface DemoRig {
  corner: StoreCorner;
  demo: LaunchedDemo;
  client: LoadClient;
}

/** Starts the demo on `corner`; if that fails, removes the corner before rethrowing. */
export async function startDemoRig(
  corner: StoreCorner,
  framework: string,
  concurrency = 32,
): Promise<DemoRig> {
  try {
    const demo = await launchDemo({ FRAMEWORK: framework, ...corner.env });
    return { corner, demo, client: new LoadClient(demo.port, concurrency) };
  } catch (error) {
    await corner.cleanup();
    throw error;
  }
}

/** Closes the client, stops the demo (which must exit cleanly) and removes the corner. */
export async function stopDemoRig(rig: DemoRig | undefined): Promise<void> {
  rig?.client.close();
  const code = await rig?.demo.stop();
  await rig?.corner.cleanup();
  expect(code, rig?.demo.output()).toBe(0);
}
