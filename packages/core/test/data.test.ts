import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  jsonSerializer,
  type RequestSession,
  type SessionData,
  SessionDataError,
  type SessionManagerOptions,
  SessionTooLargeError,
  type StandardSchemaV1,
} from "../src/index.js";
import { hashToken } from "../src/token.js";
import { setup, storeOver } from "./harness.js";

async function plant(data: string, options: SessionManagerOptions<SessionData> = {}) {
  const context = setup(options);
  const alice = context.client();
  const token = await alice.login("alice", { ok: true });
  const id = await hashToken(token);
  const record = (await context.memory.get(id))!;
  await context.memory.update(id, { ...record, data }, record.version);
  return { ...context, alice };
}

describe("serialization", () => {
  it.each([
    ['{"__proto__":{"isAdmin":true},"a":1}', { a: 1 }],
    ['{"constructor":{"prototype":{"x":1}},"a":1}', { a: 1 }],
    ['{"nested":{"__proto__":{"isAdmin":true},"b":2}}', { nested: { b: 2 } }],
    ['{"save":1,"regenerate":1,"destroy":1}', { save: 1, regenerate: 1, destroy: 1 }],
    ['{"\\u005f_proto__":{"isAdmin":true},"a":1}', { a: 1 }],
    ['{"b":{"construct\\u006fr":{"prototype":{"x":1}}}}', { b: {} }],
  ])("loads %s prototype-safely", async (text, expected) => {
    const { alice } = await plant(text);
    const { result } = await alice.request((session) => ({
      data: session.data,
      destroy: typeof session.destroy,
    }));
    expect(result.data).toEqual(expected);
    expect(result.destroy).toBe("function");
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each([['{"a":'], ["[1,2]"], ["null"], ['"text"'], ["not json"]])(
    "treats the corrupt record %s as no session and reports it",
    async (text) => {
      const { alice, events } = await plant(text);
      expect(await alice.whoami()).toBeNull();
      expect(
        events.some((event) => event.type === "rejected" && event.reason === "corrupt_record"),
      ).toBe(true);
    },
  );

  it("uses a pluggable serializer", async () => {
    const serialize = (data: unknown) => Buffer.from(JSON.stringify(data)).toString("base64");
    const deserialize = (text: string) => JSON.parse(Buffer.from(text, "base64").toString());
    const { client, memory } = setup({ serializer: { serialize, deserialize } });
    const alice = client();
    await alice.login("alice", { theme: "dark" });
    const [entry] = await memory.listByUser("alice");
    expect(entry!.record.data).toBe(serialize({ theme: "dark" }));
    expect((await alice.request((session) => session.get("theme"))).result).toBe("dark");
  });

  it("gives every load of empty data an object of its own in the default JSON serializer", () => {
    const first = jsonSerializer.deserialize("{}") as Record<string, unknown>;
    first.theme = "dark";
    expect([jsonSerializer.deserialize("{}"), first]).toEqual([{}, { theme: "dark" }]);
  });

  it("drops forbidden keys in the default JSON serializer", () => {
    expect(jsonSerializer.deserialize('{"__proto__":{"x":1},"a":{"constructor":1}}')).toEqual({
      a: {},
    });
  });
});

describe("data validation on load (Standard Schema)", () => {
  const schema = z.object({ theme: z.enum(["light", "dark"]).optional() });

  it("accepts data the schema accepts", async () => {
    const { client } = setup({ schema });
    const alice = client();
    await alice.login("alice", { theme: "dark" });
    expect((await alice.request((session) => session.get("theme"))).result).toBe("dark");
  });

  /** A validator that throws on the data it refuses, rather than reporting issues. */
  const throwing: StandardSchemaV1<unknown, SessionData> = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) => {
        if ((value as { theme?: string }).theme === "neon") throw new TypeError("unexpected");
        return { value: value as SessionData };
      },
    },
  };

  it.each([
    ["refuses", schema],
    ["throws on", throwing],
  ])("treats a record the schema %s as no session, not as an error", async (_, refusing) => {
    const { alice, events } = await plant('{"theme":"neon"}', { schema: refusing });
    expect(await alice.whoami()).toBeNull();
    expect(
      events.some((event) => event.type === "rejected" && event.reason === "invalid_data"),
    ).toBe(true);
  });
});

describe("odd records read back", () => {
  it.each([
    ["without successorId", { successorId: undefined }],
    ["without expiresAt", { expiresAt: undefined }],
    ["with its absolute expiry as text", { absoluteExpiresAt: "never" }],
    ["without data", { data: undefined }],
  ])("treats a record read back %s as corrupt, not as a session", async (_, damage) => {
    let damaged = false;
    // The store hands the record back damaged, as a store that mangles fields would.
    const context = setup({}, (memory) =>
      storeOver(memory, {
        get: (id) => {
          const record = memory.get(id);
          return damaged && record !== null ? ({ ...record, ...damage } as never) : record;
        },
      }),
    );
    const alice = context.client();
    await alice.login("alice", { theme: "dark" });
    expect(await alice.whoami()).toBe("alice");
    damaged = true;
    expect(await alice.whoami()).toBeNull();
    const rejections = context.events.flatMap((event) =>
      event.type === "rejected" ? [event.reason] : [],
    );
    expect(rejections).toEqual(["corrupt_record"]);
  });
});

describe("data limits", () => {
  it("refuses oversized data with SessionTooLargeError and keeps the stored record", async () => {
    const { client } = setup({ maxDataBytes: 1024 });
    const alice = client();
    await alice.login("alice", { small: "x" });
    const { result } = await alice.request((session) => {
      try {
        session.set("big", "a".repeat(1_000_000));
        return "stored";
      } catch (error) {
        return error;
      }
    });
    expect(result).toBeInstanceOf(SessionTooLargeError);
    expect((await alice.request((session) => session.data)).result).toEqual({ small: "x" });
  });

  it.each([
    [
      "an oversized value",
      (session: RequestSession) => session.set("big", "a".repeat(2048)),
      SessionTooLargeError,
    ],
    [
      "a value JSON cannot hold",
      (session: RequestSession) => session.flash("n", 10n as never),
      SessionDataError,
    ],
  ])(
    "starts no session when %s is refused on a request without one",
    async (_, change, refusal) => {
      const { client, memory } = setup({ maxDataBytes: 1024 });
      const { result, setCookies } = await client().request((session) => {
        try {
          change(session);
          return null;
        } catch (error) {
          return { error, exists: session.exists };
        }
      });
      expect(result?.error).toBeInstanceOf(refusal);
      expect(result?.exists).toBe(false);
      expect(setCookies).toEqual([]);
      expect(memory.size).toBe(0);
    },
  );

  it("counts bytes, not characters", async () => {
    const { client } = setup({ maxDataBytes: 1024 });
    await expect(
      client().request((session) => session.set("s", "✓".repeat(400))),
    ).rejects.toBeInstanceOf(SessionTooLargeError);
  });

  it.each(["__proto__", "constructor", "prototype"])("refuses the key %s", async (key) => {
    const { client } = setup();
    await expect(
      client().request((session) => session.set(key, { isAdmin: true })),
    ).rejects.toBeInstanceOf(SessionDataError);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it("refuses forbidden keys nested at any depth, and keeps the stored data", async () => {
    const { client } = setup();
    const alice = client();
    await alice.login("alice", { form: { company: "Acme" } });
    const nested = JSON.parse('{"company":{"constructor":"Acme Ltd"}}');
    await expect(alice.request((session) => session.set("form", nested))).rejects.toBeInstanceOf(
      SessionDataError,
    );
    expect((await alice.request((session) => session.data)).result).toEqual({
      form: { company: "Acme" },
    });
  });

  it("refuses data JSON cannot hold", async () => {
    const { client } = setup();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(client().request((session) => session.set("c", circular))).rejects.toBeInstanceOf(
      SessionDataError,
    );
    await expect(client().request((session) => session.set("f", () => 1))).rejects.toBeInstanceOf(
      SessionDataError,
    );
  });
});
