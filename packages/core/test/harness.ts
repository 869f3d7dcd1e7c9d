import {
  MemoryStore,
  type RequestSession,
  type SessionData,
  type SessionEvent,
  SessionManager,
  type SessionManagerOptions,
  type SessionStore,
} from "../src/index.js";
import { FaultInjectingStore } from "../src/testing/fault-injecting-store.js";

/**
 * A store of the application's own making, without `countSessions`: it answers as `memory` does,
 * except for the methods in `overrides` (a failure, a delay, a damaged record).
 */
export function storeOver(
  memory: MemoryStore,
  overrides: Partial<SessionStore> = {},
): SessionStore {
  return {
    get: (id) => memory.get(id),
    create: (id, record) => memory.create(id, record),
    update: (id, record, version) => memory.update(id, record, version),
    delete: (id) => memory.delete(id),
    listByUser: (userId) => memory.listByUser(userId),
    deleteByUser: (userId, exceptId) => memory.deleteByUser(userId, exceptId),
    ...overrides,
  };
}

/** A fake clock for tests: time moves only when a test says so. */
export class FakeClock {
  time = Date.UTC(2026, 0, 1);
  readonly now = (): number => this.time;
  advance(seconds: number): void {
    this.time += seconds * 1000;
  }
}

/** The outcome of one simulated request. */
export interface Response<T> {
  result: T;
  setCookies: string[];
}

/** A browser-like client: keeps the cookie the manager sets and sends it back. */
export class Client {
  cookie: string | undefined;
  constructor(readonly manager: SessionManager<SessionData>) {}

  /** Runs `handler` as one request, committing at the end like an adapter does. */
  async request<T>(
    handler: (session: RequestSession<SessionData>) => Promise<T> | T,
    header = this.cookieHeader(),
  ): Promise<Response<T>> {
    const setCookies: string[] = [];
    const session = await this.manager.load(header, {
      secure: true,
      host: "app.example",
      userAgent: "test-agent",
      ip: "203.0.113.9",
    });
    const result = await handler(session);
    const committed = await session.commit();
    if (committed !== null) setCookies.push(committed.setCookie);
    for (const line of setCookies) {
      const [pair] = line.split(";");
      const value = pair!.slice(pair!.indexOf("=") + 1);
      this.cookie = /Max-Age=0/.test(line) ? undefined : value;
    }
    return { result, setCookies };
  }

  cookieHeader(): string | undefined {
    return this.cookie === undefined ? undefined : `${this.manager.cookieName}=${this.cookie}`;
  }

  /** Signs in as `userId` and returns the cookie value. */
  async login(userId: string, data: SessionData = {}): Promise<string> {
    await this.request((session) => session.create(userId, { data }));
    return this.cookie!;
  }

  whoami(): Promise<string | null> {
    return this.request((session) => session.userId).then((response) => response.result);
  }
}

/** A manager on a memory store with a fake clock, recording events and warnings. */
export function setup(
  options: SessionManagerOptions<SessionData> = {},
  wrapStore: (memory: MemoryStore) => SessionStore = (memory) => memory,
) {
  const clock = new FakeClock();
  const memory = new MemoryStore({ now: clock.now });
  const store = new FaultInjectingStore(options.store ?? wrapStore(memory));
  const { calls } = store;
  const events: SessionEvent[] = [];
  const warnings: string[] = [];
  const manager = new SessionManager<SessionData>({
    now: clock.now,
    onEvent: (event) => events.push(event),
    onWarning: (message) => warnings.push(message),
    ...options,
    store,
  });
  return { clock, memory, calls, events, warnings, manager, client: () => new Client(manager) };
}
