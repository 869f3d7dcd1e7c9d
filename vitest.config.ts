import { defineConfig } from "vitest/config";

/** Resolve workspace packages to their TypeScript sources, so tests need no build step. */
const conditions = ["source", "node", "module", "default"];

const project = (name: string, root: string, extra: Record<string, unknown> = {}) => ({
  extends: true as const,
  test: { name, root, include: ["test/**/*.test.ts"], ...extra },
});

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      project("core", "packages/core"),
      project("express", "packages/adapter-express"),
      project("koa", "packages/adapter-koa"),
      project("hono", "packages/adapter-hono"),
      project("fastify", "packages/adapter-fastify"),
      project("sqlite", "packages/store-sqlite"),
      project("redis", "packages/store-redis", { fileParallelism: false }),
      project("postgres", "packages/store-postgres", { fileParallelism: false }),
      project("demo", "examples/demo", { fileParallelism: false, testTimeout: 120_000 }),
      project("hardening", "hardening", { fileParallelism: false, testTimeout: 300_000 }),
      project("bench", "bench"),
    ],
  },
});
