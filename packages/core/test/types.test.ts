import { describe, expectTypeOf, it } from "vitest";
import { type RequestSession, SessionManager } from "../src/index.js";

interface Data {
  theme?: "light" | "dark";
  cart?: number[];
}

describe("types", () => {
  it("carries an interface Data type from the manager to the session", async () => {
    const manager = new SessionManager<Data>();
    type Loaded = Awaited<ReturnType<typeof manager.load>>;
    expectTypeOf<Loaded>().toEqualTypeOf<RequestSession<Data>>();
    expectTypeOf<Loaded["get"]>().parameter(0).toEqualTypeOf<"theme" | "cart">();
    expectTypeOf<ReturnType<RequestSession<Data>["get"]>>().toEqualTypeOf<
      "light" | "dark" | number[] | undefined
    >();
    // @ts-expect-error: a key the Data type does not have
    const setUnknownKey = (session: Loaded): void => session.set("missing", 1);
    expectTypeOf(setUnknownKey).toBeFunction();
  });
});
