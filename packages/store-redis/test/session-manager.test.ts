import { contextFromRequest, SessionManager } from "@sesame/core";
import { uniqueId } from "@sesame/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import {
  deleteKeys,
  requireService,
  SHARED_PORT,
  SINGLE_NODE_CLIENTS,
  sharedRedisIsUp,
  type TestClient,
  uniquePrefix,
} from "./support.js";

const available = requireService(`Redis at 127.0.0.1:${SHARED_PORT}`, await sharedRedisIsUp());

for (const { name, connect } of SINGLE_NODE_CLIENTS) {
  describe.runIf(available)(`SessionManager on RedisStore through ${name}`, () => {
    const prefix = uniquePrefix(`manager-${name}`);
    let client: TestClient;

    beforeAll(async () => {
      client = await connect(SHARED_PORT);
    });
    afterAll(async () => {
      await client?.close();
      await deleteKeys(SHARED_PORT, prefix);
    });

    async function request(
      manager: SessionManager<{ theme?: string }>,
      cookie: string | null,
      run: (session: Awaited<ReturnType<typeof manager.load>>) => Promise<unknown>,
    ): Promise<{ cookie: string | null; userId: string | null }> {
      const incoming = new Request("https://app.example/", {
        headers: cookie === null ? {} : { cookie },
      });
      const session = await manager.load(
        incoming.headers.get("cookie"),
        contextFromRequest(incoming),
      );
      await run(session);
      const setCookie = (await session.commit())?.setCookie;
      return { cookie: setCookie?.split(";")[0] ?? cookie, userId: session.userId };
    }

    it("signs in, recognises the cookie, lists and revokes the user's sessions", async () => {
      const manager = new SessionManager<{ theme?: string }>({
        store: new RedisStore(client.client, { prefix }),
      });
      const userId = uniqueId("user");
      const login = await request(manager, null, (session) =>
        session.create(userId, { data: { theme: "dark" } }),
      );
      const other = await request(manager, null, (session) => session.create(userId));
      expect(login.cookie).toMatch(/^__Host-sid=/);

      let theme: string | undefined;
      const next = await request(manager, login.cookie, async (session) => {
        theme = session.get("theme");
      });
      expect(next.userId).toBe(userId);
      expect(theme).toBe("dark");
      expect(await manager.listUserSessions(userId)).toHaveLength(2);

      const revoked = await request(manager, login.cookie, (session) =>
        session.revokeOtherSessions(),
      );
      expect(revoked.userId).toBe(userId);
      expect((await request(manager, other.cookie, async () => undefined)).userId).toBeNull();

      expect(await manager.invalidateUserSessions(userId)).toBe(1);
      expect((await request(manager, login.cookie, async () => undefined)).userId).toBeNull();
      expect(await manager.listUserSessions(userId)).toEqual([]);
    });
  });
}
