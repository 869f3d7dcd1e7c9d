import { describe, expectTypeOf, it } from "vitest";
import { type JsonData, type RequestSession, SessionManager } from "../src/index.js";

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

  it("refuses data types that JSON would change, saying what to store instead", () => {
    interface Nested {
      items: { sku: string; quantity: number }[];
      coupon: string | null;
      pair?: [string, number];
    }
    expectTypeOf(new SessionManager<{ cart?: Nested; flags?: readonly boolean[] }>()).toBeObject();
    expectTypeOf(new SessionManager<Record<string, unknown>>()).toBeObject();
    expectTypeOf(new SessionManager()).toBeObject();

    // @ts-expect-error: session data must be JSON: store a Date as date.getTime() or date.toISOString()
    new SessionManager<{ when?: Date }>();
    // @ts-expect-error: session data must be JSON: store a Map or a Set as an array or a plain object
    new SessionManager<{ seen: Map<string, number> }>();
    // @ts-expect-error: session data must be JSON: store a Map or a Set as an array or a plain object
    new SessionManager<{ tags: Set<string> }>();
    // @ts-expect-error: session data must be JSON: a function cannot be stored
    new SessionManager<{ onLogin: () => void }>();
    // @ts-expect-error: session data must be JSON: store a bigint as a string
    new SessionManager<{ balance: bigint }>();
    // @ts-expect-error: session data must be JSON: a key that only holds undefined is never stored
    new SessionManager<{ gone: undefined }>();
    // @ts-expect-error: a Date deep inside is refused too
    new SessionManager<{ cart: { items: { addedAt: Date }[] } }>();

    type Refused = JsonData<{ when?: Date }>["when"];
    expectTypeOf<Refused>().toEqualTypeOf<
      "session data must be JSON: store a Date as date.getTime() or date.toISOString()" | undefined
    >();
  });
});
