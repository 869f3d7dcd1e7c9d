/**
 * The packages as users get them: built, packed with pnpm (which publishes them, applying
 * `publishConfig`), and installed with npm into a folder outside the workspace. The adapter
 * then resolves a second copy of core (the next patch version, nested under `@sesame/hono`),
 * as when an app's core and an adapter's differ: a store outage must still answer 503, which
 * `instanceof` across copies did not. And a consumer whose tools add the `source` condition
 * (vitest configs, bundlers) must still load the installed packages, whose `src` is not in the
 * tarball.
 *
 * Everything is built into a private folder, never the packages' own `dist`, which other test
 * files rebuild.
 */
import { execFile } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/packed-hono-app.mjs", import.meta.url));
const SETUP_TIMEOUT_MS = 240_000;
const STORE_UNAVAILABLE = JSON.stringify({ error: "session_store_unavailable" });
const readJson = (path: string): { version: string } => JSON.parse(readFileSync(path, "utf8"));
const coreVersion = readJson(join(root, "packages/core/package.json")).version;
const secondCoreVersion = coreVersion.replace(/\d+$/, (patch) => String(Number(patch) + 1));

/** The environment without pnpm's and vitest's `npm_config_*`, as a user's shell has it. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_config_")),
);

let work = "";
let app = "";

/** Builds a workspace package into `stage/<name>` with its own tsup config, as `pnpm build` does. */
async function stage(dir: string, name: string, version?: string): Promise<string> {
  const from = join(root, "packages", dir);
  const to = join(work, "stage", name);
  mkdirSync(to, { recursive: true });
  for (const file of ["package.json", "README.md", "LICENSE"])
    cpSync(join(from, file), join(to, file));
  if (version !== undefined) {
    const manifest = readJson(join(to, "package.json"));
    writeFileSync(join(to, "package.json"), JSON.stringify({ ...manifest, version }, null, 2));
  }
  await run(join(root, "node_modules/.bin/tsup"), ["--out-dir", join(to, "dist")], { cwd: from });
  return to;
}

/** `pnpm pack`, as `pnpm publish` packs; returns the tarball's path. */
async function pack(dir: string): Promise<string> {
  const { stdout } = await run("pnpm", ["pack", "--pack-destination", join(work, "packs")], {
    cwd: dir,
    env: cleanEnv,
  });
  return stdout.trim().split("\n").at(-1)!;
}

async function runApp(conditions: string[] = []): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [...conditions, "app.mjs"], { cwd: app });
  return JSON.parse(stdout);
}

/** Packs core, a second core and the Hono adapter, and installs them as an app would. */
async function installPackedApp(): Promise<void> {
  app = join(work, "app");
  mkdirSync(app);
  const [core, secondCore, hono] = await Promise.all([
    stage("core", "core"),
    stage("core", "second-core", secondCoreVersion),
    stage("adapter-hono", "hono"),
  ]);
  // pnpm turns `workspace:^` into the linked core's version range, as in the workspace.
  mkdirSync(join(hono, "node_modules/@sesame"), { recursive: true });
  symlinkSync(core, join(hono, "node_modules/@sesame/core"));
  const [coreTarball, secondCoreTarball, honoTarball] = await Promise.all(
    [core, secondCore, hono].map(pack),
  );

  const honoVersion = readJson(
    join(root, "packages/adapter-hono/node_modules/hono/package.json"),
  ).version;
  writeFileSync(join(app, "package.json"), JSON.stringify({ private: true, type: "module" }));
  cpSync(fixture, join(app, "app.mjs"));
  await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--prefer-offline",
      coreTarball!,
    ].concat([honoTarball!, `hono@${honoVersion}`]),
    { cwd: app, env: cleanEnv },
  );
  // The adapter's own core, as npm nests one when the app's version is out of its range.
  const nested = join(app, "node_modules/@sesame/hono/node_modules/@sesame/core");
  mkdirSync(nested, { recursive: true });
  await run("tar", ["-xzf", secondCoreTarball!, "--strip-components=1", "-C", nested]);
}

const removeWork = (): void => rmSync(work, { recursive: true, force: true });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "sesame-packed-"));
  try {
    await installPackedApp();
  } catch (error) {
    removeWork(); // afterAll does not run when beforeAll fails
    throw error;
  }
}, SETUP_TIMEOUT_MS);

afterAll(removeWork);

describe("packed packages installed with npm, the adapter on its own copy of core", () => {
  it("answers 503 when the store fails, though the error comes from the app's copy", async () => {
    const result = await runApp();
    expect(result).toMatchObject({ appCore: coreVersion, adapterCore: secondCoreVersion });
    expect(result).toMatchObject({ login: 200, cookie: true });
    expect(result).toMatchObject({ status: 503, body: STORE_UNAVAILABLE });
  });

  it("loads under --conditions=source, as ES modules and as CommonJS", async () => {
    expect(await runApp(["--conditions=source"])).toMatchObject({ status: 503 });
    const script = 'require("@sesame/core"); require("@sesame/hono"); console.log("ok")';
    const { stdout } = await run(process.execPath, ["--conditions=source", "-e", script], {
      cwd: app,
    });
    expect(stdout.trim()).toBe("ok");
  });
});
