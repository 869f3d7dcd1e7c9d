/**
 * The workerd runner, on Node (`node --import tsx workers/run.ts`, from runtimes/, with WORKERD
 * naming the binary). Bundles three Workers with esbuild under the conditions Workers bundlers
 * use (`workerd`, `worker`, `browser`), serves them with workerd on loopback ports, has the tests
 * Worker run its suites (GET /run) and checks here what needs the file system: the README's
 * Workers block equals app.ts, and the app's bundle took `#platform` from the Web Crypto file.
 * `--timing` prints the Web Crypto cost inside workerd instead.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { builtinModules } from "node:module";
import { connect, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import { closingLine, type RunSummary, runRegisteredTests } from "../harness/run.ts";
import { registerFile } from "../harness/vitest.ts";
import { describeReadmeBlock } from "../shared/readme-block-tests.ts";
import { type CryptoCost, formatCost } from "../shared/webcrypto-cost.ts";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];
/** The conditions of wrangler's bundler; `source` takes our packages' TypeScript sources. */
const WORKER_CONDITIONS = ["workerd", "worker", "browser"];
const SOCKETS = ["tests", "slot0", "slot1", "slot2", "app", "bench"] as const;
/** Longest the tests Worker may take to run every suite. */
const RUN_TIMEOUT_MS = 240_000;

/**
 * Bundles `entry` to dist/`name`.js and resolves esbuild's metafile. `nodeRequire` gives the
 * bundle a `require` for the CommonJS packages it includes (Jest's `expect` requires node:*
 * modules), from workerd's node:module.
 */
async function bundle(
  entry: string,
  name: string,
  conditions: string[],
  nodeRequire = false,
): Promise<Metafile> {
  const result = await build({
    entryPoints: [here(entry)],
    outfile: here(`dist/${name}.js`),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    mainFields: ["browser", "module", "main"],
    conditions,
    // On Workers node:* modules come from the runtime (nodejs_compat); only the tests Worker
    // imports any (the conformance client's node:net, Jest's expect).
    external: NODE_BUILTINS,
    alias: { vitest: here("../harness/vitest.ts") },
    banner: nodeRequire
      ? { js: 'import { createRequire } from "node:module"; const require = createRequire("/");' }
      : {},
    define: nodeRequire ? { __dirname: '"/"', __filename: '"/index.js"' } : {},
    metafile: true,
    logLevel: "warning",
  });
  return result.metafile;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("No TCP address.");
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts workerd on `ports` and resolves once every socket accepts connections. */
async function startWorkerd(
  ports: Record<(typeof SOCKETS)[number], number>,
): Promise<ChildProcess> {
  const binary = process.env.WORKERD ?? "workerd";
  const addresses = SOCKETS.flatMap((name) => [
    "--socket-addr",
    `${name}=127.0.0.1:${ports[name]}`,
  ]);
  const child = spawn(binary, ["serve", here("workerd.capnp"), ...addresses], {
    cwd: here("."),
    stdio: ["ignore", "inherit", "inherit"],
  });
  const deadline = Date.now() + 30_000;
  for (const name of SOCKETS) {
    while (!(await accepts(ports[name]))) {
      if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}.`);
      if (Date.now() > deadline) throw new Error(`workerd did not listen on ${name} in 30 s.`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return child;
}

/** The inputs of a bundle that are files of `@sesame/core`, relative to packages/core. */
function coreInputs(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs)
    .map((path) => path.replace(/\\/g, "/"))
    .filter((path) => path.includes("packages/core/") || path.includes("@sesame/core/"))
    .map((path) => path.slice(path.lastIndexOf("core/") + "core/".length));
}

function registerBundleTests(app: Metafile): void {
  describe("the README's Workers app, bundled as wrangler does", () => {
    it("takes @sesame/core from dist and #platform from dist/platform/web.js", () => {
      const inputs = coreInputs(app);
      expect(inputs).toContain("dist/platform/web.js");
      expect(inputs).not.toContain("dist/platform/node.js");
      expect(inputs.every((path) => path.startsWith("dist/"))).toBe(true);
    });

    it("imports no node: module", () => {
      const [output] = Object.values(app.outputs);
      const imports = output!.imports.map((entry) => entry.path);
      expect(imports.filter((path) => path.startsWith("node:"))).toEqual([]);
    });
  });
}

async function main(): Promise<number> {
  const [, app] = await Promise.all([
    bundle("tests-worker.ts", "tests", ["source", ...WORKER_CONDITIONS], true),
    bundle("app.ts", "app", WORKER_CONDITIONS),
    bundle("bench-worker.ts", "bench", ["source", ...WORKER_CONDITIONS]),
  ]);
  const ports = Object.fromEntries(
    await Promise.all(SOCKETS.map(async (name) => [name, await freePort()] as const)),
  ) as Record<(typeof SOCKETS)[number], number>;
  const workerd = await startWorkerd(ports);
  try {
    if (process.argv.includes("--timing")) {
      const reply = await fetch(`http://127.0.0.1:${ports.bench}/`);
      console.log(formatCost("workerd, Web Crypto", (await reply.json()) as CryptoCost));
      return 0;
    }
    const slots = [ports.slot0, ports.slot1, ports.slot2].join(",");
    const reply = await fetch(
      `http://127.0.0.1:${ports.tests}/run?slots=${slots}&app=${ports.app}`,
      { signal: AbortSignal.timeout(RUN_TIMEOUT_MS) },
    );
    if (!reply.ok) throw new Error(`GET /run answered ${reply.status}: ${await reply.text()}`);
    const inWorker = (await reply.json()) as RunSummary;
    for (const line of inWorker.lines) console.log(line);

    await registerFile("readme/workers block", async () =>
      describeReadmeBlock("runtimes/workers/app.ts"),
    );
    await registerFile("readme/workers bundle", async () => registerBundleTests(app));
    const onNode = await runRegisteredTests("workerd (checks on Node)", { close: false });
    const totals = {
      passed: inWorker.passed + onNode.passed,
      failed: inWorker.failed + onNode.failed,
      skipped: inWorker.skipped + onNode.skipped,
    };
    console.log(closingLine("workerd", totals));
    return totals.failed === 0 ? 0 : 1;
  } finally {
    workerd.kill();
  }
}

process.exitCode = await main();
