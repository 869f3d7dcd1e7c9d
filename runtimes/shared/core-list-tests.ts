/** Every core test file is placed on purpose: portable, or left to Node with a reason. */
import { readdir } from "node:fs/promises";
import { expect, it } from "vitest";
import { unplacedCoreTests } from "./core-tests.ts";

it("places every file of packages/core/test in runtimes/shared/core-tests.ts", async () => {
  const files = await readdir(new URL("../../packages/core/test/", import.meta.url));
  expect(unplacedCoreTests(files)).toEqual([]);
});
