/**
 * Runs every test registered through the vitest shim (vitest.ts), one at a time in the order
 * registered, with vitest's hook order: `beforeAll` once per suite, `beforeEach` outermost first
 * (a returned function runs as a teardown), `afterEach` innermost first, `afterAll` last. Prints
 * each failure in full, a line per test file, each test the runtime cannot run with the reason,
 * and closes with `<runtime>: N passed, M failed` alone on a line.
 */
import {
  HOOK_TIMEOUT_MS,
  knownFailures,
  root,
  runtimeSkips,
  type Suite,
  type TestCase,
} from "./vitest.ts";

/** Counts of one run. `skipped` counts tests not run and known failures alike. */
export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

/** Failures printed in full; later ones by name only, so a broken build stays readable. */
const DETAILED_FAILURES = 20;

/** What a run printed, and its counts. */
export interface RunSummary extends Totals {
  lines: string[];
}

/** Options of {@link runRegisteredTests}. */
export interface RunOptions {
  /** Prints one line; `console.log` unless given. */
  log?: (line: string) => void;
  /** Print the closing `N passed, M failed` line (default `true`). */
  close?: boolean;
}

interface Scope {
  path: string[];
  beforeEach: (() => unknown)[];
  afterEach: (() => unknown)[];
}

type Hook = () => unknown;

async function withTimeout(run: Hook, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.resolve().then(run), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `hooks` in order; each may return a teardown, which is put first in `teardowns`. */
async function runSetupHooks(hooks: Hook[], teardowns: Hook[], what: string): Promise<void> {
  for (const hook of hooks) {
    await withTimeout(
      async () => {
        const teardown = await hook();
        if (typeof teardown === "function") teardowns.unshift(teardown as Hook);
      },
      HOOK_TIMEOUT_MS,
      what,
    );
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return [`${error.name}: ${error.message}`, ...frames.slice(0, 6)].join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
}

function isTest(child: Suite | TestCase): child is TestCase {
  return "fn" in child;
}

function countTests(suite: Suite): number {
  let count = 0;
  for (const child of suite.children) count += isTest(child) ? 1 : countTests(child);
  return count;
}

/** `<label>: N passed, M failed[, K skipped]`: the line CI reads. */
export function closingLine(label: string, totals: Totals): string {
  const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : "";
  return `${label}: ${totals.passed} passed, ${totals.failed} failed${skipped}`;
}

class TestRun {
  readonly totals: Totals = { passed: 0, failed: 0, skipped: 0 };
  readonly lines: string[] = [];
  readonly unusedMarks = new Set([...runtimeSkips.keys(), ...knownFailures.keys()]);
  readonly unhandled: unknown[] = [];
  readonly verbose = Boolean(
    (globalThis as { process?: { env?: Record<string, string> } }).process?.env
      ?.SESAME_RUNTIMES_VERBOSE,
  );

  constructor(
    readonly label: string,
    readonly log: (line: string) => void,
  ) {}

  print(line: string): void {
    this.lines.push(line);
    this.log(line);
  }

  fail(name: string, error: unknown): void {
    this.totals.failed += 1;
    const detail =
      this.totals.failed <= DETAILED_FAILURES ? `\n${indent(describeError(error))}` : "";
    this.print(`  ✗ ${name}${detail}`);
  }

  async runFile(file: Suite): Promise<void> {
    if (file.skipReason !== undefined) {
      this.totals.skipped += 1;
      this.print(`- ${file.name} (not run: ${file.skipReason})`);
      return;
    }
    const before = { ...this.totals };
    await this.runSuite(file, { path: [], beforeEach: [], afterEach: [] });
    const failed = this.totals.failed - before.failed;
    const ran = this.totals.passed - before.passed + failed;
    const skipped = this.totals.skipped - before.skipped;
    const counted = `${ran} test${ran === 1 ? "" : "s"}${skipped > 0 ? `, ${skipped} skipped` : ""}`;
    this.print(
      failed === 0
        ? `✓ ${file.name} (${counted})`
        : `✗ ${file.name} (${failed} failed of ${counted})`,
    );
  }

  async runSuite(suite: Suite, parent: Scope): Promise<void> {
    const scope: Scope = {
      path: suite.name === "" ? parent.path : [...parent.path, suite.name],
      beforeEach: [...parent.beforeEach, ...suite.beforeEach],
      afterEach: [...[...suite.afterEach].reverse(), ...parent.afterEach],
    };
    if (suite.skip) {
      this.totals.skipped += countTests(suite);
      return;
    }
    const teardowns: Hook[] = [];
    try {
      await runSetupHooks(suite.beforeAll, teardowns, "beforeAll");
    } catch (error) {
      const count = countTests(suite);
      this.totals.failed += count - 1;
      this.fail(`${scope.path.join(" > ")} (beforeAll failed; ${count} tests not run)`, error);
      return;
    }
    for (const child of suite.children) {
      if (isTest(child)) await this.runTest(child, scope);
      else await this.runSuite(child, scope);
    }
    for (const hook of [...teardowns, ...[...suite.afterAll].reverse()]) {
      try {
        await withTimeout(hook, HOOK_TIMEOUT_MS, "afterAll");
      } catch (error) {
        this.fail(`${scope.path.join(" > ")} (afterAll)`, error);
      }
    }
  }

  async runTest(test: TestCase, scope: Scope): Promise<void> {
    const name = [...scope.path, test.name].join(" > ");
    const skipReason = runtimeSkips.get(test.name);
    if (test.skip || skipReason !== undefined) {
      this.totals.skipped += 1;
      this.unusedMarks.delete(test.name);
      if (skipReason !== undefined) this.print(`  - ${name}\n${indent(`not run: ${skipReason}`)}`);
      return;
    }
    const started = performance.now();
    const error = await this.attempt(test, scope);
    const failureReason = knownFailures.get(test.name);
    if (failureReason !== undefined) {
      this.unusedMarks.delete(test.name);
      this.reportKnownFailure(name, failureReason, error);
      return;
    }
    if (error !== undefined) {
      this.fail(name, error);
      return;
    }
    this.totals.passed += 1;
    if (this.verbose) this.print(`  ✓ ${name} (${Math.round(performance.now() - started)} ms)`);
  }

  reportKnownFailure(name: string, reason: string, error: unknown): void {
    if (error === undefined) {
      this.fail(name, new Error(`Passes now; remove it from the known failures (${reason}).`));
      return;
    }
    this.totals.skipped += 1;
    const first = describeError(error).split("\n")[0];
    this.print(`  ! ${name}\n${indent(`fails, as known: ${reason}\n(${first})`)}`);
  }

  /** Runs one test with its hooks; resolves the first error, if any. */
  async attempt(test: TestCase, scope: Scope): Promise<unknown> {
    const teardowns: Hook[] = [];
    let error: unknown;
    try {
      await runSetupHooks(scope.beforeEach, teardowns, "beforeEach");
      await withTimeout(test.fn, test.timeout, "The test");
    } catch (caught) {
      error = caught;
    }
    for (const hook of [...teardowns, ...scope.afterEach]) {
      try {
        await withTimeout(hook, HOOK_TIMEOUT_MS, "afterEach");
      } catch (caught) {
        error ??= caught;
      }
    }
    if (error === undefined && this.unhandled.length > 0) {
      error = new Error(`Unhandled rejection: ${describeError(this.unhandled[0])}`);
    }
    this.unhandled.length = 0;
    return error;
  }
}

/** Runs the registered tests and resolves what was printed and counted. */
export async function runRegisteredTests(
  label: string,
  options: RunOptions = {},
): Promise<RunSummary> {
  const run = new TestRun(label, options.log ?? ((line) => console.log(line)));
  const stopWatching = watchUnhandledRejections((reason) => run.unhandled.push(reason));
  const started = performance.now();
  try {
    for (const file of root.children) {
      if (isTest(file)) await run.runTest(file, { path: [], beforeEach: [], afterEach: [] });
      else await run.runFile(file);
    }
  } finally {
    stopWatching();
  }
  for (const name of run.unusedMarks) {
    run.fail(`the skips and known failures of ${label}`, new Error(`No test is named "${name}".`));
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  run.print(`${label}: ${run.totals.passed + run.totals.failed} tests ran in ${seconds} s`);
  if (options.close !== false) run.print(closingLine(label, run.totals));
  return { ...run.totals, lines: run.lines };
}

type NodeProcess = {
  on(event: string, listener: (reason: unknown) => void): void;
  off(event: string, listener: (reason: unknown) => void): void;
};

/** Records unhandled rejections instead of letting the runtime exit on the first one. */
function watchUnhandledRejections(record: (reason: unknown) => void): () => void {
  const processLike = (globalThis as { process?: Partial<NodeProcess> }).process;
  if (typeof processLike?.on === "function" && typeof processLike.off === "function") {
    const listener = (reason: unknown): void => record(reason);
    processLike.on("unhandledRejection", listener);
    return () => processLike.off?.("unhandledRejection", listener);
  }
  const listener = (event: Event): void => {
    event.preventDefault();
    record((event as PromiseRejectionEvent).reason);
  };
  globalThis.addEventListener("unhandledrejection", listener);
  return () => globalThis.removeEventListener("unhandledrejection", listener);
}
