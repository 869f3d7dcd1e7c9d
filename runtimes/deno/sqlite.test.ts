import { DatabaseSync } from "node:sqlite";
import { describeSqliteConformance } from "../shared/sqlite-tests.ts";

describeSqliteConformance({
  name: "node:sqlite (Deno)",
  open: (filename) => new DatabaseSync(filename),
  openWithBigInts: (filename) => new DatabaseSync(filename, { readBigInts: true }),
});
