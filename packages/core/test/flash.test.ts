import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { type RequestSession, SessionDataError, SessionManager } from "../src/index.js";
import { setup } from "./harness.js";

describe("flash values", () => {
  it("are read once by a later request, then gone", async () => {
    const { client } = setup();
    const alice = client();
    await alice.login("alice");
    await alice.request((session) => session.flash("notice", "Profile saved."));
    const next = await alice.request((session) => session.takeFlash("notice"));
    expect(next.result).toBe("Profile saved.");
    expect((await alice.request((session) => session.takeFlash("notice"))).result).toBeUndefined();
  });

  it("replace an earlier value of the same key, and start an anonymous session when there is none", async () => {
    const { client } = setup();
    const visitor = client();
    await visitor.request((session) => {
      session.flash("errors", ["email is required"]);
      session.flash("errors", ["email is invalid"]);
    });
    const { result } = await visitor.request((session) => ({
      errors: session.takeFlash("errors"),
      userId: session.userId,
    }));
    expect(result).toEqual({ errors: ["email is invalid"], userId: null });
  });

  it("stay out of session.data and out of the schema's sight", async () => {
    const schema = z.strictObject({ theme: z.enum(["light", "dark"]).optional() });
    const { client } = setup({ schema });
    const alice = client();
    await alice.login("alice", { theme: "dark" });
    await alice.request((session) => session.flash("notice", "Welcome back"));
    const { result } = await alice.request((session) => ({
      data: session.data,
      notice: session.takeFlash("notice"),
    }));
    expect(result).toEqual({ data: { theme: "dark" }, notice: "Welcome back" });
  });

  it("are kept apart per key, so concurrent requests that flash and take never lose one", async () => {
    const { client, manager } = setup();
    const alice = client();
    await alice.login("alice");
    await alice.request((session) => session.flash("first", 1));
    const header = alice.cookieHeader();
    const context = { secure: true, host: "app.example" };
    const [taking, flashing] = await Promise.all([
      manager.load(header, context),
      manager.load(header, context),
    ]);
    expect(taking.takeFlash("first")).toBe(1);
    flashing.flash("second", 2);
    await taking.commit();
    await flashing.commit();
    const { result } = await alice.request((session) => [
      session.takeFlash("first"),
      session.takeFlash("second"),
    ]);
    expect(result).toEqual([undefined, 2]);
  });

  it("reserve their key prefix, and refuse values that cannot be stored", async () => {
    const { client } = setup();
    const { result } = await client().request((session) => {
      const errors: unknown[] = [];
      for (const action of [
        () => session.set("__flash:notice", "forged"),
        () => session.flash("notice", undefined),
        () => session.flash("__proto__", 1),
      ]) {
        try {
          action();
        } catch (error) {
          errors.push(error);
        }
      }
      return errors;
    });
    expect(result).toHaveLength(3);
    for (const error of result) expect(error).toBeInstanceOf(SessionDataError);
  });

  it("survive re-authentication, and are dropped by a new sign-in", async () => {
    const { client } = setup();
    const alice = client();
    await alice.login("alice");
    await alice.request((session) => session.flash("notice", "kept"));
    await alice.request((session) => session.reauthenticate());
    expect((await alice.request((session) => session.takeFlash("notice"))).result).toBe("kept");
    await alice.request((session) => session.flash("notice", "dropped"));
    await alice.request((session) => session.create("alice"));
    expect((await alice.request((session) => session.takeFlash("notice"))).result).toBeUndefined();
  });

  it("are typed by the manager's Flash type parameter", () => {
    interface Flash {
      notice?: string;
      errors?: string[];
    }
    const manager = new SessionManager<{ theme?: string }, Flash>();
    type Loaded = Awaited<ReturnType<typeof manager.load>>;
    expectTypeOf<Loaded>().toEqualTypeOf<RequestSession<{ theme?: string }, Flash>>();
    expectTypeOf<Loaded["takeFlash"]>().parameter(0).toEqualTypeOf<"notice" | "errors">();
    expectTypeOf<ReturnType<Loaded["takeFlash"]>>().toEqualTypeOf<string | string[] | undefined>();
    // @ts-expect-error: a flash key the Flash type does not have
    const flashUnknown = (session: Loaded): void => session.flash("missing", "x");
    // @ts-expect-error: a value of the wrong type
    const flashWrong = (session: Loaded): void => session.flash("notice", 42);
    expectTypeOf(flashUnknown).toBeFunction();
    expectTypeOf(flashWrong).toBeFunction();
  });
});
