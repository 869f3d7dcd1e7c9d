/**
 * Micro-benchmarks of the core with the memory store: create, validate (load an existing
 * session) and rotate, each as an adapter drives it (load, act, commit), plus the parts a
 * validation is made of. Runs as a child process; replies {@link CoreMicroResult}.
 *
 * @module
 */
import { createHash, hash } from "node:crypto";
import {
  GuardedStore,
  jsonSerializer,
  MemoryStore,
  SessionManager,
  type StoredSession,
} from "@sesame/core";
import { measure } from "mitata";
import { createJar, replyAndExit, signIn, type Timing, toTiming } from "./shared.js";

/** What the core micro-benchmarks measured. */
export interface CoreMicroResult {
  /** create / validate / rotate, through the manager. */
  operations: Timing[];
  /** The steps of a validation, measured alone. */
  parts: Timing[];
}

const POOL = 1_000;

async function measureOperations(): Promise<Timing[]> {
  const manager = new SessionManager({ store: new MemoryStore({ maxSessions: 5_000_000 }) });
  const jar = createJar(manager);
  let users = 0;
  const create = await measure(async () => {
    await signIn(jar, `user-${users++}`);
  });

  const readers = new SessionManager({ store: new MemoryStore() });
  const readJar = createJar(readers);
  const tokens: string[] = [];
  for (let index = 0; index < POOL; index++) tokens.push(await signIn(readJar, `reader-${index}`));
  let next = 0;
  const validate = await measure(async () => {
    const session = await readJar.load(tokens[next++ % POOL]!);
    if (session.userId === null) throw new Error("validate: session not found");
    await session.commit();
  });
  const rotate = await measure(async () => {
    const index = next++ % POOL;
    const session = await readJar.load(tokens[index]!);
    await session.rotate();
    const line = (await session.commit())?.setCookie ?? "";
    tokens[index] = line.slice(readJar.prefix.length, line.indexOf(";"));
  });
  return [
    toTiming("create (load without cookie, create, commit)", create),
    toTiming("validate (load an existing session, commit)", validate),
    toTiming("rotate (load, rotate, commit)", rotate),
  ];
}

async function measureParts(): Promise<Timing[]> {
  const token = "q0m7ZyNn7gBvB8s8m3bXbZ3Q3kzv2uQ1xK6m1sVQeHI";
  const sha256 = await measure(() => hash("sha256", token, "hex"));
  const sha256Legacy = await measure(() => createHash("sha256").update(token).digest("hex"));
  const store = new MemoryStore();
  const id = hash("sha256", token, "hex");
  const now = Date.now();
  const record: StoredSession = {
    userId: "user-1",
    handle: "h".repeat(22),
    data: '{"theme":"dark"}',
    version: 1,
    createdAt: now,
    tokenIssuedAt: now,
    lastSeenAt: now,
    authTime: now,
    expiresAt: now + 3_600_000,
    absoluteExpiresAt: now + 3_600_000,
    userAgent: null,
    ip: null,
    persistent: false,
    successorId: null,
    graceUntil: null,
  };
  await store.create(id, record);
  const get = await measure(async () => store.get(id));
  const guarded = new GuardedStore(store);
  const guardedGet = await measure(async () => guarded.get(id));
  const deserialize = await measure(() => jsonSerializer.deserialize(record.data));
  const parse = await measure(() => JSON.parse(record.data));
  return [
    toTiming("SHA-256 of the token (crypto.hash)", sha256),
    toTiming("SHA-256 of the token (createHash)", sha256Legacy),
    toTiming("MemoryStore.get", get),
    toTiming("GuardedStore.get (timeout timer around MemoryStore.get)", guardedGet),
    toTiming("jsonSerializer.deserialize (JSON.parse with reviver)", deserialize),
    toTiming("JSON.parse without reviver", parse),
  ];
}

replyAndExit<CoreMicroResult>({
  operations: await measureOperations(),
  parts: await measureParts(),
});
