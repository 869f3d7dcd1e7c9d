import { describe, expect, it } from "vitest";
import { SessionLimitError } from "../src/index.js";
import { setup } from "./harness.js";

describe("per-user sessions", () => {
  it("lists a user's live sessions with opaque handles, never the token or store key", async () => {
    const { client, memory, clock } = setup();
    const devices = [client(), client(), client()];
    const tokens: string[] = [];
    for (const device of devices) {
      tokens.push(await device.login("alice"));
      clock.advance(1);
    }
    await client().login("bob");
    const { result } = await devices[1]!.request((session) => session.listSessions());
    expect(result).toHaveLength(3);
    expect(result.filter((entry) => entry.current)).toHaveLength(1);
    expect(result.map((entry) => entry.createdAt)).toEqual(
      [...result.map((entry) => entry.createdAt)].sort((a, b) => b - a),
    );
    const storeKeys = (await memory.listByUser("alice")).map((entry) => entry.id);
    for (const entry of result) {
      for (const secret of [...tokens, ...storeKeys]) {
        expect(secret.includes(entry.handle) || entry.handle.includes(secret)).toBe(false);
      }
      expect(JSON.stringify(entry)).not.toMatch(new RegExp(tokens.join("|")));
    }
  });

  it("revokes one session by handle, and refuses another user's handle", async () => {
    const { client } = setup();
    const [one, two, three] = [client(), client(), client()];
    for (const device of [one, two, three]) await device.login("alice");
    const bob = client();
    await bob.login("bob");
    const handles = (await one.request((session) => session.listSessions())).result;
    const twoHandle = (await two.request((session) => session.info!.handle)).result;
    expect(handles.some((entry) => entry.handle === twoHandle)).toBe(true);
    expect((await bob.request((session) => session.revokeSession(twoHandle))).result).toBe(false);
    expect(await two.whoami()).toBe("alice");
    expect((await one.request((session) => session.revokeSession(twoHandle))).result).toBe(true);
    expect(await two.whoami()).toBeNull();
    expect(await one.whoami()).toBe("alice");
    expect(await three.whoami()).toBe("alice");
  });

  it("revokes all but the current session, leaving other users alone", async () => {
    const { client } = setup();
    const [one, two, three] = [client(), client(), client()];
    for (const device of [one, two, three]) await device.login("alice");
    const bob = client();
    await bob.login("bob");
    expect((await one.request((session) => session.revokeOtherSessions())).result).toBe(2);
    expect(await one.whoami()).toBe("alice");
    expect(await two.whoami()).toBeNull();
    expect(await three.whoami()).toBeNull();
    expect(await bob.whoami()).toBe("bob");
  });

  it("revokes every session of a user from the manager, effective at once", async () => {
    const { client, manager } = setup();
    const [one, two] = [client(), client()];
    await one.login("alice");
    await two.login("alice");
    expect(await manager.invalidateUserSessions("alice")).toBe(2);
    expect(await one.whoami()).toBeNull();
    expect(await two.whoami()).toBeNull();
  });

  it("revokes all sessions from a request and clears its cookie", async () => {
    const { client } = setup();
    const alice = client();
    await alice.login("alice");
    const { setCookies } = await alice.request((session) => session.revokeAllSessions());
    expect(setCookies[0]).toMatch(/Max-Age=0/);
    expect(alice.cookie).toBeUndefined();
  });
});

describe("per-user limit", () => {
  it("evicts the oldest session when a new login goes over the limit", async () => {
    const { client, clock, events } = setup({ maxSessionsPerUser: 2 });
    const [one, two, three] = [client(), client(), client()];
    for (const device of [one, two, three]) {
      await device.login("alice");
      clock.advance(1);
    }
    expect(await one.whoami()).toBeNull();
    expect(await two.whoami()).toBe("alice");
    expect(await three.whoami()).toBe("alice");
    expect(events.filter((event) => event.type === "evicted")).toHaveLength(1);
  });

  it.each(["evict-oldest", "reject"] as const)(
    "ranks two logins in the same millisecond by order (%s)",
    async (sessionLimitPolicy) => {
      for (let run = 0; run < 40; run++) {
        const { client, memory } = setup({ maxSessionsPerUser: 1, sessionLimitPolicy });
        const [first, second] = [client(), client()];
        await first.login("alice");
        const outcome = await second.login("alice").catch((error: unknown) => error);
        expect(await memory.listByUser("alice")).toHaveLength(1);
        if (sessionLimitPolicy === "reject") {
          expect(outcome).toBeInstanceOf(SessionLimitError);
          expect(await first.whoami()).toBe("alice");
        } else {
          expect(await second.whoami()).toBe("alice");
          expect(await first.whoami()).toBeNull();
        }
      }
    },
  );

  it("holds under 20 parallel logins", async () => {
    const { client, memory } = setup({ maxSessionsPerUser: 2 });
    const devices = Array.from({ length: 20 }, () => client());
    await Promise.all(devices.map((device) => device.login("alice")));
    expect(await memory.listByUser("alice")).toHaveLength(2);
    const valid = (await Promise.all(devices.map((device) => device.whoami()))).filter(Boolean);
    expect(valid).toHaveLength(2);
  });

  it("refuses a new login over the limit with the reject policy", async () => {
    const { client, clock } = setup({ maxSessionsPerUser: 1, sessionLimitPolicy: "reject" });
    const first = client();
    await first.login("alice");
    clock.advance(1);
    await expect(client().login("alice")).rejects.toBeInstanceOf(SessionLimitError);
    expect(await first.whoami()).toBe("alice");
  });

  it("keeps the live records at the cap through 1,000 logins", async () => {
    const { client, memory, clock } = setup({ maxSessionsPerUser: 5 });
    const device = client();
    for (let index = 0; index < 1_000; index++) {
      device.cookie = undefined;
      clock.time += 1;
      await device.login("alice");
      expect(await device.whoami()).toBe("alice");
    }
    expect(await memory.listByUser("alice")).toHaveLength(5);
  });
});
