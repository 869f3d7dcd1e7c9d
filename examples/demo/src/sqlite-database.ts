import { createRequire } from "node:module";
import type { SqliteDatabase } from "@sesame/sqlite";

const require = createRequire(import.meta.url);

/** An open SQLite database the demo can close, and which driver opened it. */
export interface OpenedSqliteDatabase {
  db: SqliteDatabase & { close(): void };
  driver: "node:sqlite" | "libsql";
}

type Constructor = new (path: string) => SqliteDatabase & { close(): void };

/**
 * Opens `path` with Node's built-in `node:sqlite` where Node has it (22.13 and later: nothing
 * to install, the fastest start and reads), and with libsql on older Node (a prebuilt binary
 * from the npm registry, no compiler step). Neither needs a native build at install time;
 * `packages/store-sqlite/README.md` has the measurements behind the choice.
 *
 * @example
 * ```ts
 * const { db, driver } = openSqliteDatabase(".data/sessions.db");
 * ```
 */
export function openSqliteDatabase(path: string): OpenedSqliteDatabase {
  const builtin = loadNodeSqlite();
  if (builtin) return { db: new builtin(path), driver: "node:sqlite" };
  const Libsql = require("libsql") as Constructor;
  return { db: new Libsql(path), driver: "libsql" };
}

function loadNodeSqlite(): Constructor | undefined {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 13)) return undefined;
  return (require("node:sqlite") as { DatabaseSync: Constructor }).DatabaseSync;
}
