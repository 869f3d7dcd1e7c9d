import { Database } from "bun:sqlite";
import { describeSqliteConformance } from "../shared/sqlite-tests.ts";

describeSqliteConformance({
  name: "bun:sqlite",
  open: (filename) => new Database(filename),
  openWithBigInts: (filename) => new Database(filename, { safeIntegers: true }),
});
