import { describe, expect, it } from "vitest";
import { createCookieAccessor, MemoryStore, SessionManager } from "../src/index.js";

describe("smoke", () => {
  it("creates, loads, changes and destroys a session", async () => {
    const store = new MemoryStore();
    const manager = new SessionManager<{ n?: number }>({ store });
    const out: string[] = [];
    const s1 = await manager.load(
      createCookieAccessor(undefined, (l) => out.push(l)),
      { secure: true },
    );
    await s1.create("u1", { data: { n: 1 } });
    await s1.commit();
    expect(out[0]).toMatch(
      /^__Host-sid=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
    );
    const cookie = out[0]!.split(";")[0]!;
    const out2: string[] = [];
    const s2 = await manager.load(
      createCookieAccessor(cookie, (l) => out2.push(l)),
      { secure: true },
    );
    expect(s2.userId).toBe("u1");
    expect(s2.get("n")).toBe(1);
    s2.set("n", 2);
    await s2.commit();
    expect(out2).toEqual([]);
    const s3 = await manager.load(
      createCookieAccessor(cookie, (l) => out2.push(l)),
      { secure: true },
    );
    expect(s3.get("n")).toBe(2);
    await s3.destroy();
    await s3.commit();
    expect(out2[0]).toMatch(
      /^__Host-sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
    );
    expect(store.size).toBe(0);
  });
});
