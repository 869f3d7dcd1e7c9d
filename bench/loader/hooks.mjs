/**
 * Module hooks that run the workspace's TypeScript sources the way the published packages are
 * compiled (esbuild, target node20, no `keepNames`).
 *
 * The benchmark's child processes use this instead of tsx: tsx compiles with `keepNames`, which
 * wraps every function expression in a `__name()` call that defines a property each time the
 * function is created (for example per request), a cost the published builds and the
 * incumbents (plain JavaScript) do not pay.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

// esbuild comes with tsx (a dependency of this package); resolve it from there.
const fromTsx = createRequire(createRequire(import.meta.url).resolve("tsx/package.json"));
const { transform } = fromTsx("esbuild");

const TYPESCRIPT = /\.[cm]?ts$/;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    // TypeScript sources import "./file.js" for "./file.ts".
    const relative = specifier.startsWith(".") || specifier.startsWith("/");
    if (!relative || !specifier.endsWith(".js") || error?.code !== "ERR_MODULE_NOT_FOUND") {
      throw error;
    }
    return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
  }
}

export async function load(url, context, nextLoad) {
  if (!TYPESCRIPT.test(new URL(url).pathname)) return nextLoad(url, context);
  const source = await readFile(new URL(url), "utf8");
  const { code } = await transform(source, {
    loader: "ts",
    format: "esm",
    target: "node20",
    sourcefile: url,
  });
  return { format: "module", source: code, shortCircuit: true };
}
