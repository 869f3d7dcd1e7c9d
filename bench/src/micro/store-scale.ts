/**
 * The memory store at one size (`BENCH_SESSIONS`): heap bytes per session, µs per get and per
 * update, a whole validation through the manager, and the cost of expiry sweeps. Runs as a
 * child with `--expose-gc`; replies {@link StoreScaleResult}.
 *
 * @module
 */
import { MemoryStore, SessionManager, type StoredSession } from "@sesame/core";
import { measure } from "mitata";
import { createJar, replyAndExit, signIn, type Timing, toTiming } from "./shared.js";

/** What one store size measured. */
export interface StoreScaleResult {
  sessions: number;
  /** Retained heap per session (store, records, indexes, expiry queue), in bytes. */
  heapBytesPerSession: number;
  timings: Timing[];
  sweeps: { name: string; removed: number; totalMs: number; nsPerRemoved: number }[];
}

const IDLE_MS = 30 * 60 * 1000;
const SAMPLE = 10_000;

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("Run with --expose-gc.");
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const sessions = Number(process.env.BENCH_SESSIONS ?? "10000");
const start = 1_700_000_000_000;
let clock = start;
const now = (): number => clock;
// No retention window: the sweeps below measure removal as records expire (a window of
// `expiredRetentionMs` would only move when that happens, not what it costs).
const store = new MemoryStore({ maxSessions: sessions + 2 * SAMPLE, now, expiredRetentionMs: 0 });
const manager = new SessionManager({ store, now, idleTimeoutSeconds: IDLE_MS / 1000 });
const jar = createJar(manager);

// One session per user, created through the manager, one millisecond apart.
const heapBefore = collect();
for (let index = 0; index < sessions; index++) {
  await signIn(jar, `user-${index}`);
  clock++;
}
const heapBytesPerSession = (collect() - heapBefore) / sessions;

function timeSweep(name: string, until: number): StoreScaleResult["sweeps"][number] {
  clock = until;
  const began = process.hrtime.bigint();
  const removed = store.sweep();
  const totalMs = Number(process.hrtime.bigint() - began) / 1e6;
  return { name, removed, totalMs, nsPerRemoved: removed === 0 ? 0 : (totalMs * 1e6) / removed };
}

/** Runs the sweep code on a small scratch store first, so the timed sweeps run optimized code. */
async function warmUpSweep(): Promise<void> {
  let scratchClock = start;
  const scratch = new MemoryStore({ now: () => scratchClock, expiredRetentionMs: 0 });
  const scratchJar = createJar(new SessionManager({ store: scratch, now: () => scratchClock }));
  for (let round = 0; round < 20; round++) {
    for (let index = 0; index < 1_000; index++) await signIn(scratchJar, `warm-${index}`);
    scratchClock += 2 * IDLE_MS;
    scratch.sweep();
  }
}

// The first tenth of the sessions expires; nothing has been touched yet.
await warmUpSweep();
const firstExpiry = start + IDLE_MS;
const tenth = Math.floor(sessions / 10);
const firstSweep = timeSweep("sweep() with the oldest 10% expired", firstExpiry + tenth - 1);

// Spread distinct live sessions for get and update over the rest; sign more in to validate.
const ids: string[] = [];
const records: StoredSession[] = [];
const versions: number[] = [];
const sample = Math.min(SAMPLE, sessions - tenth);
for (let index = 0; index < sample; index++) {
  const user = tenth + Math.floor((index * (sessions - tenth)) / sample);
  const [entry] = await store.listByUser(`user-${user}`);
  if (entry === undefined) throw new Error(`No session for user-${user}`);
  ids.push(entry.id);
  records.push(entry.record);
  versions.push(entry.record.version);
}
const tokens: string[] = [];
for (let index = 0; index < SAMPLE; index++) tokens.push(await signIn(jar, `extra-${index}`));

let next = 0;
const get = await measure(async () => store.get(ids[next++ % sample]!));
// Each update moves the expiry a millisecond later, as a touch does (a new expiry-queue entry),
// while keeping the spread of expiries the sweeps below rely on.
const update = await measure(async () => {
  const index = next++ % sample;
  const base = records[index]!;
  const version = versions[index]!;
  const record = { ...base, lastSeenAt: clock, expiresAt: base.expiresAt + version };
  if (!(await store.update(ids[index]!, record, version))) throw new Error("CAS lost");
  versions[index] = version + 1;
});
const validate = await measure(async () => {
  const session = await jar.load(tokens[next++ % SAMPLE]!);
  await session.commit();
});
const idleSweep = await measure(() => store.sweep());

replyAndExit<StoreScaleResult>({
  sessions,
  heapBytesPerSession,
  timings: [
    toTiming("get", get),
    toTiming("update (touch: new expiry)", update),
    toTiming("validate through the manager", validate),
    toTiming("sweep() with nothing expired", idleSweep),
  ],
  sweeps: [
    firstSweep,
    timeSweep(
      "sweep() with the rest expired, after the updates",
      firstExpiry + 10 * sessions + 2 * IDLE_MS,
    ),
  ],
});
