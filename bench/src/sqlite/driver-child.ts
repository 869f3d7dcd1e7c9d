/**
 * One SQLite driver measured in its own process: the cold start (loading the driver, opening
 * a file database and building the store), then the store's read (`get`) and compare-and-set
 * write (`update`) per call. Prints one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { makeStoredSession } from "@sesame/core/testing";
import { type SqliteDatabase, SqliteStore } from "@sesame/sqlite";

const require = createRequire(import.meta.url);
const driver = process.argv[2] ?? "";
const dir = mkdtempSync(join(tmpdir(), "sesame-sqlite-bench-"));

type Constructor = new (filename: string) => SqliteDatabase & { close(): void };

function open(): SqliteDatabase & { close(): void } {
  const Database =
    driver === "node:sqlite"
      ? (require("node:sqlite") as { DatabaseSync: Constructor }).DatabaseSync
      : (require(driver) as Constructor);
  return new Database(join(dir, "sessions.db"));
}

function medianPerCall(calls: number, run: (index: number) => Promise<unknown>) {
  return async (): Promise<number> => {
    const rounds: number[] = [];
    for (let round = 0; round < 7; round++) {
      const start = performance.now();
      for (let index = 0; index < calls; index++) await run(index);
      rounds.push(((performance.now() - start) * 1_000) / calls);
    }
    return rounds.sort((a, b) => a - b)[3] ?? Number.NaN;
  };
}

const started = performance.now();
const db = open();
const store = new SqliteStore(db);
await store.createSchema();
const coldStartMs = performance.now() - started;

const sessions = 1_000;
const now = Date.now();
for (let index = 0; index < sessions; index++) {
  await store.create(`id-${index}`, makeStoredSession(now, { userId: `user-${index % 100}` }));
}
const versions = new Array<number>(sessions).fill(1);
const readUs = await medianPerCall(5_000, async (index) => store.get(`id-${index % sessions}`))();
const writeUs = await medianPerCall(2_000, async (index) => {
  const slot = index % sessions;
  const record = makeStoredSession(now, { userId: `user-${slot % 100}`, version: versions[slot] });
  if (await store.update(`id-${slot}`, record, versions[slot] ?? 1))
    versions[slot] = (versions[slot] ?? 1) + 1;
})();
db.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ driver, node: process.version, coldStartMs, readUs, writeUs }));
