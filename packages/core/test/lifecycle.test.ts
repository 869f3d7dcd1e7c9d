import { describe, expect, it } from "vitest";
import { hashToken } from "../src/token.js";
import { setup, storeOver } from "./harness.js";

describe("creating a session", () => {
  it("issues a fresh token and destroys the session the request carried (no fixation)", async () => {
    const { client, memory } = setup();
    const alice = client();
    const before = await alice.login("alice");
    const after = await alice.login("alice");
    expect(after).not.toBe(before);
    expect(await memory.get(await hashToken(before))).toBeNull();
    const stale = client();
    stale.cookie = before;
    expect(await stale.whoami()).toBeNull();
    expect(await alice.whoami()).toBe("alice");
  });

  it("never adopts a well-formed token it did not issue", async () => {
    const { client, memory } = setup();
    const attacker = client();
    attacker.cookie = "A".repeat(43);
    expect(await attacker.whoami()).toBeNull();
    const issued = await attacker.login("alice");
    expect(issued).not.toBe("A".repeat(43));
    expect(await memory.get(await hashToken("A".repeat(43)))).toBeNull();
  });

  it("carries over only the keys in the allowlist from an anonymous session", async () => {
    const { client } = setup();
    const shopper = client();
    await shopper.request((session) => {
      session.set("cart", [1]);
      session.set("evil", true);
    });
    const anonymous = shopper.cookie;
    await shopper.request((session) => session.create("alice", { carryOver: ["cart"] }));
    expect(shopper.cookie).not.toBe(anonymous);
    const { result } = await shopper.request((session) => session.data);
    expect(result).toEqual({ cart: [1] });
  });

  it("carries nothing over without the allowlist", async () => {
    const { client } = setup();
    const shopper = client();
    await shopper.request((session) => session.set("cart", [1]));
    await shopper.login("alice");
    expect((await shopper.request((session) => session.data)).result).toEqual({});
  });

  it("records user agent, IP and auth time", async () => {
    const { client, clock } = setup();
    const alice = client();
    await alice.login("alice");
    const { result } = await alice.request((session) => session.listSessions());
    expect(result[0]).toMatchObject({
      userAgent: "test-agent",
      ip: "203.0.113.9",
      authTime: clock.time,
      current: true,
    });
  });
});

describe("loading a session", () => {
  it.each([
    ["empty", ""],
    ["garbage", "not-a-token"],
    ["too long", "A".repeat(44)],
    ["truncated", "A".repeat(42)],
    ["non-canonical padding bits", `${"A".repeat(42)}B`],
    ["wrong alphabet", `${"A".repeat(42)}+`],
    ["oversized", "x".repeat(100_000)],
  ])("gives no session and no store call for a %s cookie", async (_name, value) => {
    const { client, calls } = setup();
    const visitor = client();
    visitor.cookie = value;
    expect(await visitor.whoami()).toBeNull();
    expect(calls.get ?? 0).toBe(0);
  });

  it("gives no session when the cookie is sent twice with different values", async () => {
    const { client, manager, events } = setup();
    const alice = client();
    const token = await alice.login("alice");
    const name = manager.cookieName;
    for (const header of [
      `${name}=${token}; ${name}=${"B".repeat(43)}`,
      `${name}=${"B".repeat(43)}; ${name}=${token}`,
    ]) {
      const { result } = await alice.request((session) => session.userId, header);
      expect(result).toBeNull();
    }
    expect(
      events.filter((event) => event.type === "rejected" && event.reason === "duplicate_cookie"),
    ).toHaveLength(2);
    expect(
      (await alice.request((session) => session.userId, `${name}=${token}; ${name}=${token}`))
        .result,
    ).toBe("alice");
  });

  it("reads the cookie from several Cookie header fields", async () => {
    const { client, manager } = setup();
    const alice = client();
    const token = await alice.login("alice");
    const session = await manager.load(["a=1", `${manager.cookieName}=${token}`], {
      secure: true,
    });
    expect(session.userId).toBe("alice");
  });

  it("is not fooled by look-alike cookie names", async () => {
    const { client } = setup();
    const alice = client();
    const token = await alice.login("alice");
    for (const name of [
      "__host-sid",
      "__HOST-sid",
      "\u00a0__Host-sid",
      "\u2000__Host-sid",
      "..Host-sid",
      "_[Host-sid",
      "%5F%5FHost-sid",
      "=__Host-sid",
    ]) {
      const { result } = await alice.request((session) => session.userId, `${name}=${token}`);
      expect(result, name).toBeNull();
    }
  });
});

describe("destroying a session", () => {
  it("deletes the record and clears the cookie with the attributes it was set with", async () => {
    const { client, memory } = setup();
    const alice = client();
    const token = await alice.login("alice");
    const { setCookies } = await alice.request((session) => session.destroy());
    expect(setCookies).toEqual([
      "__Host-sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax",
    ]);
    expect(await memory.get(await hashToken(token))).toBeNull();
    alice.cookie = token;
    expect(await alice.whoami()).toBeNull();
  });

  it.each([
    ["expired", (cookie: string) => cookie],
    ["unknown", () => "A".repeat(43)],
  ])("clears a cookie that named no session (%s) on sign-out", async (_, carried) => {
    const { client, clock } = setup({ idleTimeoutSeconds: 60 });
    const alice = client();
    await alice.login("alice");
    clock.advance(61);
    alice.cookie = carried(alice.cookie!);
    const { result, setCookies } = await alice.request(async (session) => {
      await session.destroy();
      return session.exists;
    });
    expect(result).toBe(false);
    expect(setCookies).toEqual([
      "__Host-sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax",
    ]);
  });

  it("sends no cookie when a session created in the same request is destroyed", async () => {
    const { client } = setup();
    const { setCookies } = await client().request(async (session) => {
      await session.create("alice");
      await session.destroy();
    });
    expect(setCookies).toEqual([]);
  });
});

describe("rotating a session", () => {
  it("replaces the token, keeps the data, and kills the old token at once", async () => {
    const { client } = setup();
    const alice = client();
    const old = await alice.login("alice", { role: "user" });
    await alice.request(async (session) => {
      session.set("role", "admin");
      await session.rotate();
    });
    expect(alice.cookie).not.toBe(old);
    expect((await alice.request((session) => session.get("role"))).result).toBe("admin");
    const thief = client();
    thief.cookie = old;
    expect(await thief.whoami()).toBeNull();
  });

  it("sets exactly one cookie when a request rotates, changes and rotates again", async () => {
    const { client } = setup();
    const alice = client();
    await alice.login("alice");
    const { setCookies } = await alice.request(async (session) => {
      await session.rotate();
      session.set("a", 1);
      await session.rotate();
    });
    expect(setCookies).toHaveLength(1);
    expect(await alice.whoami()).toBe("alice");
  });
});

describe("periodic renewal", () => {
  it("renews quietly, honours the old token during the grace window, and reports its reuse after", async () => {
    const { client, clock, events } = setup({
      renewalIntervalSeconds: 600,
      renewalGraceSeconds: 30,
    });
    const alice = client();
    const first = await alice.login("alice", { n: 1 });
    clock.advance(601);
    const { setCookies } = await alice.request((session) => session.userId);
    expect(setCookies).toHaveLength(1);
    const second = alice.cookie!;
    expect(second).not.toBe(first);
    expect(events.some((event) => event.type === "rotated" && event.reason === "renewal")).toBe(
      true,
    );

    const parallelTab = client();
    parallelTab.cookie = first;
    clock.advance(10);
    const during = await parallelTab.request((session) => {
      session.set("fromOldTab", true);
      return session.userId;
    });
    expect(during.result).toBe("alice");
    expect(during.setCookies).toEqual([]);
    expect((await alice.request((session) => session.data)).result).toEqual({
      n: 1,
      fromOldTab: true,
    });

    clock.advance(30);
    expect(await parallelTab.whoami()).toBeNull();
    expect(
      events.some((event) => event.type === "rejected" && event.reason === "renewed_token_reused"),
    ).toBe(true);
    expect(await alice.whoami()).toBe("alice");
  });

  it("never renews from an old token in its grace window, even with the successor due again", async () => {
    const { client, clock } = setup({ renewalIntervalSeconds: 10, renewalGraceSeconds: 30 });
    const alice = client();
    const first = await alice.login("alice");
    clock.advance(10);
    await alice.whoami();
    const second = alice.cookie!;
    // The successor is due for renewal itself, but this request does not hold its token.
    clock.advance(15);
    const parallelTab = client();
    parallelTab.cookie = first;
    const during = await parallelTab.request((session) => [session.userId, session.needsCommit]);
    expect([during.result, during.setCookies]).toEqual([["alice", false], []]);
    expect(alice.cookie).toBe(second);
    const { setCookies } = await alice.request((session) => session.userId);
    expect(setCookies).toHaveLength(1);
  });

  it("raises no reuse alarm for an old token whose renewal never made its successor live", async () => {
    let failActivation = false;
    const { client, clock, events } = setup(
      { renewalIntervalSeconds: 600, renewalGraceSeconds: 30 },
      (memory) =>
        storeOver(memory, {
          update: (id, record, version) => {
            // The renewal's last step, making the successor live, fails once.
            if (failActivation && record.successorId === null) {
              failActivation = false;
              throw new Error("connection reset");
            }
            return memory.update(id, record, version);
          },
        }),
    );
    const alice = client();
    await alice.login("alice");
    clock.advance(601);
    failActivation = true;
    await expect(alice.request((session) => session.userId)).rejects.toThrow();
    clock.advance(31);
    expect(await alice.whoami()).toBeNull();
    const reasons = events.flatMap((event) => (event.type === "rejected" ? [event.reason] : []));
    expect(reasons).toEqual(["unknown_session"]);
  });

  it.each(["one after the other", "at once"])(
    "keeps a parallel request's unset during a renewal, and its cookie (%s)",
    async (order) => {
      const { client, clock, manager, memory } = setup({
        renewalIntervalSeconds: 600,
        renewalGraceSeconds: 30,
      });
      const alice = client();
      const old = await alice.login("alice", { admin: true, theme: "dark" });
      clock.advance(601);
      const load = () => manager.load(alice.cookieHeader(), { secure: true });
      const renewing = await load();
      const demoting = await load();
      demoting.unset("admin");
      const replies =
        order === "at once"
          ? await Promise.all([renewing.commit(), demoting.commit()])
          : [await renewing.commit(), await demoting.commit()];
      const lines = replies.flatMap((reply) => (reply === null ? [] : [reply.setCookie]));
      expect(lines.filter((line) => /Max-Age=0/.test(line))).toEqual([]);
      expect(lines).toHaveLength(1);
      expect(demoting.data).toEqual({ theme: "dark" });
      alice.cookie = lines[0]!.split(";")[0]!.split("=")[1];
      expect((await alice.request((session) => session.data)).result).toEqual({ theme: "dark" });
      const oldTab = client();
      oldTab.cookie = old;
      expect((await oldTab.request((session) => session.data)).result).toEqual({ theme: "dark" });
      const live = (await memory.listByUser("alice")).filter(
        (entry) => entry.record.successorId === null,
      );
      expect(live).toHaveLength(1);
    },
  );

  it("keeps renewed sessions out of the session list", async () => {
    const { client, clock } = setup({ renewalIntervalSeconds: 600 });
    const alice = client();
    await alice.login("alice");
    clock.advance(601);
    await alice.whoami();
    expect((await alice.request((session) => session.listSessions())).result).toHaveLength(1);
  });
});
