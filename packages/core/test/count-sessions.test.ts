import { describe, expect, it } from "vitest";
import { MemoryStore, SessionConfigError, SessionManager } from "../src/index.js";
import { Client, setup, storeOver } from "./harness.js";

describe("countSessions", () => {
  it("counts every live session and a user's, leaving out replaced tokens and expired ones", async () => {
    const { client, clock, manager } = setup({ idleTimeoutSeconds: 600 });
    const [phone, laptop, bob] = [client(), client(), client()];
    await phone.login("alice");
    await laptop.login("alice");
    await bob.login("bob");
    await client().request((session) => session.set("cart", [1]));
    await laptop.request((session) => session.rotate());
    expect(await manager.countSessions()).toBe(4);
    expect(await manager.countSessions("alice")).toBe(2);
    expect(await manager.countSessions("nobody")).toBe(0);
    clock.advance(300);
    await phone.whoami();
    clock.advance(301);
    expect(await manager.countSessions("alice")).toBe(1);
    expect(await manager.countSessions()).toBe(1);
  });

  it("counts a user's sessions through listByUser when a custom store has no countSessions", async () => {
    const memory = new MemoryStore();
    const custom = storeOver(memory);
    const manager = new SessionManager({ store: custom });
    await new Client(manager).login("alice");
    await new Client(manager).login("alice");
    expect(await manager.countSessions("alice")).toBe(2);
    await expect(manager.countSessions()).rejects.toBeInstanceOf(SessionConfigError);
    await expect(manager.countSessions()).rejects.toThrow(/countSessions/);
  });
});
