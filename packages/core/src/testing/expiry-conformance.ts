import { describe, expect, it } from "vitest";
import type { SessionEvent } from "../events.js";
import type { RequestContext } from "../request-context.js";
import { SessionManager } from "../session-manager.js";
import type { SessionRaceContext } from "./session-race-conformance.js";

const CONTEXT: RequestContext = { secure: true, host: "app.example" };
const IDLE_SECONDS = 60;
const ABSOLUTE_SECONDS = 150;

/** A manager over the store under test that records its events, and a browser-like client. */
function makeRig(context: SessionRaceContext) {
  const events: SessionEvent[] = [];
  const manager = new SessionManager({
    store: context.store(),
    now: context.now,
    idleTimeoutSeconds: IDLE_SECONDS,
    absoluteTimeoutSeconds: ABSOLUTE_SECONDS,
    touchIntervalSeconds: 0,
    onEvent: (event) => events.push(event),
  });
  /** One request carrying `token`; resolves the user it was signed in as, if any. */
  async function visit(token: string): Promise<string | null> {
    const session = await manager.load(`${manager.cookieName}=${token}`, CONTEXT);
    await session.commit();
    return session.userId;
  }
  async function login(userId: string): Promise<string> {
    const session = await manager.load(undefined, CONTEXT);
    await session.create(userId);
    const line = (await session.commit())?.setCookie ?? "";
    const pair = line.split(";")[0]!;
    return pair.slice(pair.indexOf("=") + 1);
  }
  const last = (): SessionEvent | undefined => events.at(-1);
  return { visit, login, last };
}

let users = 0;
function newUserId(): string {
  users += 1;
  return `expiry-user-${process.pid}-${Date.now().toString(36)}-${users}`;
}

/**
 * Whole requests over a store, proving it lets the manager tell a session that ran out from a
 * cookie that never named one: an expired session's cookie gives an `expired` event with its
 * reason, a forged one `rejected: unknown_session`. Run by the store conformance suite.
 */
export function describeExpiryEvents(context: SessionRaceContext): void {
  describe("expiry, as the manager reports it", () => {
    it("reports the cookie of an idle session as expired (idle)", async () => {
      const rig = makeRig(context);
      const userId = newUserId();
      const token = await rig.login(userId);
      context.advance(IDLE_SECONDS * 1000 - 1);
      expect(await rig.visit(token)).toBe(userId);
      context.advance(IDLE_SECONDS * 1000);
      expect(await rig.visit(token)).toBeNull();
      expect(rig.last()).toMatchObject({ type: "expired", reason: "idle", userId });
    });

    it("reports the cookie of a session past its absolute lifetime as expired (absolute)", async () => {
      const rig = makeRig(context);
      const userId = newUserId();
      const token = await rig.login(userId);
      for (let elapsed = 50; elapsed < ABSOLUTE_SECONDS; elapsed += 50) {
        context.advance(50_000);
        expect(await rig.visit(token)).toBe(userId);
      }
      context.advance(50_000);
      expect(await rig.visit(token)).toBeNull();
      expect(rig.last()).toMatchObject({ type: "expired", reason: "absolute", userId });
    });

    it("rejects a forged cookie as unknown_session", async () => {
      const rig = makeRig(context);
      expect(await rig.visit("A".repeat(43))).toBeNull();
      expect(rig.last()).toMatchObject({ type: "rejected", reason: "unknown_session" });
    });
  });
}
