/**
 * The harness's own choices: which frameworks and paths a run takes, the order of one round's
 * runs, and the record the bare read floor finds under the cookie the bare servers get.
 */
import { describe, expect, it } from "vitest";
import { chosenFromEnv, FRAMEWORKS, PATHS, type PathId, VARIANTS } from "../src/config.js";
import { scheduleRound } from "../src/http-bench.js";
import { BARE_COOKIE_VALUE } from "../src/protocol.js";
import type { RunningServer } from "../src/server-pool.js";
import { BARE_USER_ID, findAttachedRecord } from "../src/servers/host.js";

describe("chosenFromEnv", () => {
  it("chooses every known value when the variable is unset, empty or only commas", () => {
    for (const text of [undefined, "", " ", ",", " , "]) {
      expect(chosenFromEnv("BENCH_PATHS", text, PATHS)).toEqual(PATHS);
    }
  });

  it("takes the named values, trimmed", () => {
    expect(chosenFromEnv("BENCH_PATHS", " read, create ,", PATHS)).toEqual(["read", "create"]);
    expect(chosenFromEnv("BENCH_FRAMEWORKS", "hono", FRAMEWORKS)).toEqual(["hono"]);
  });

  it("refuses a name it does not know, naming it and the known ones", () => {
    expect(() => chosenFromEnv("BENCH_PATHS", "read,reads", PATHS)).toThrow(RangeError);
    expect(() => chosenFromEnv("BENCH_PATHS", "read,reads", PATHS)).toThrow(
      "BENCH_PATHS: unknown reads (known: read, create, storm, touch, write)",
    );
    expect(() => chosenFromEnv("BENCH_FRAMEWORKS", "Koa", FRAMEWORKS)).toThrow(/unknown Koa/);
  });
});

describe("scheduleRound", () => {
  // Scheduling looks only at each server's variant.
  const serversOf = (frameworks: readonly string[]) =>
    new Map(
      VARIANTS.filter((variant) => frameworks.includes(variant.framework)).map((variant) => [
        variant.id,
        { variant } as RunningServer,
      ]),
    );
  const servers = serversOf(["koa"]);
  const scheduled = (paths?: readonly PathId[]) =>
    scheduleRound(servers, paths).map((run) => `${run.server.variant.id} ${run.path}`);

  it("runs only the chosen paths, in table order, bare first", () => {
    expect(scheduled(["read"])).toEqual([
      "koa-bare read",
      "koa-bare-attached read",
      "koa-sesame read",
      "koa-sesame-signed read",
      "koa-session read",
    ]);
    const both = scheduled(["create", "read"]);
    expect(both.indexOf("koa-bare read")).toBe(0);
    expect(both.indexOf("koa-bare create")).toBe(5);
  });

  it("runs one framework's runs before the next's", () => {
    const runs = scheduleRound(serversOf(["hono", "express"]), ["read"]).map(
      (run) => run.server.variant.framework,
    );
    expect(runs.lastIndexOf("express")).toBeLessThan(runs.indexOf("hono"));
    expect(runs.indexOf("hono")).toBeGreaterThan(0);
  });

  it("runs a variant limited to some paths on those only", () => {
    const all = scheduled();
    expect(all.filter((run) => run.startsWith("koa-bare-attached "))).toEqual([
      "koa-bare-attached read",
    ]);
    expect(all.filter((run) => run.startsWith("koa-bare-kept "))).toEqual(["koa-bare-kept create"]);
    expect(all.filter((run) => run.startsWith("koa-sesame "))).toHaveLength(PATHS.length);
  });
});

describe("the bare read floor", () => {
  it("finds its record under the cookie the bare servers get, and none under another", () => {
    expect(findAttachedRecord(`__Host-sid=${BARE_COOKIE_VALUE}`)?.userId).toBe(BARE_USER_ID);
    expect(findAttachedRecord(`__Host-sid=${"B".repeat(43)}`)).toBeUndefined();
    expect(findAttachedRecord(undefined)).toBeUndefined();
  });
});
