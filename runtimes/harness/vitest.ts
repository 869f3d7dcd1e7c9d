/**
 * The part of vitest's API that core's tests and the conformance suites use, for runtimes that
 * cannot run vitest (Bun, Deno, workerd). Each runtime maps the specifier "vitest" here: Bun with
 * a plugin (bun/vitest-alias.ts), Deno with the import map in deno.json, workerd with esbuild's
 * `alias`. Tests only register here; `runRegisteredTests` (run.ts) runs them in order.
 *
 * `expect` is Jest's (the npm `expect` package) and `vi.fn`/`vi.spyOn` are `jest-mock`'s, whose
 * matchers and mocks vitest's mirror for everything these suites use.
 */
import { expect as jestExpect } from "expect";
import { ModuleMocker } from "jest-mock";

type JestExpect = typeof jestExpect;

/**
 * vitest's `expect(actual, message)` on Jest's `expect`, which takes one argument: a failing
 * matcher's error starts with `message`.
 */
export function withMessages(base: JestExpect): JestExpect {
  const wrapped = (actual: unknown, message?: string) => {
    const matchers = base(actual);
    if (message === undefined) return matchers;
    return prefixFailures(matchers, message);
  };
  return Object.assign(wrapped, base) as JestExpect;
}

function prefixFailures<T extends object>(target: T, message: string): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof value === "function") {
        return (...args: unknown[]) => {
          const prefix = (error: unknown) => {
            if (error instanceof Error) error.message = `${message}: ${error.message}`;
            throw error;
          };
          try {
            const result = value.apply(object, args);
            return result instanceof Promise ? result.catch(prefix) : result;
          } catch (error) {
            return prefix(error);
          }
        };
      }
      return typeof value === "object" && value !== null ? prefixFailures(value, message) : value;
    },
  });
}

export const expect: JestExpect = withMessages(jestExpect);

/** Default time limits, as in the root vitest.config.ts. */
export const TEST_TIMEOUT_MS = 20_000;
export const HOOK_TIMEOUT_MS = 60_000;

type Callback = () => unknown;
type Hook = () => unknown;

export interface TestCase {
  name: string;
  fn: Callback;
  timeout: number;
  skip: boolean;
}

export interface Suite {
  name: string;
  skip: boolean;
  /** Why the runtime cannot run this test file at all. */
  skipReason?: string;
  children: (Suite | TestCase)[];
  beforeAll: Hook[];
  afterAll: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
}

function makeSuite(name: string, skip = false): Suite {
  return { name, skip, children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] };
}

/** Every registered test, one child suite per test file (see `registerFile`). */
export const root: Suite = makeSuite("");
let current: Suite = root;

/** Tests the runtime cannot run, by test name, with the reason the report prints. */
export const runtimeSkips = new Map<string, string>();
/** Tests that run and fail on this runtime for a known reason, which the report prints. */
export const knownFailures = new Map<string, string>();

/** Marks tests (by their own name, without the suites') as not runnable here, saying why. */
export function skipTests(reasons: Readonly<Record<string, string>>): void {
  for (const [name, reason] of Object.entries(reasons)) runtimeSkips.set(name, reason);
}

/**
 * Marks tests (by their own name) that fail on this runtime for a known reason: they still run,
 * a failure is reported with the reason and not counted as failed, and a pass fails the run so
 * the mark is removed once the cause is fixed.
 */
export function expectFailures(reasons: Readonly<Record<string, string>>): void {
  for (const [name, reason] of Object.entries(reasons)) knownFailures.set(name, reason);
}

/** Registers what `load` (a test file's import) declares in a suite of its own, named `name`. */
export async function registerFile(name: string, load: () => Promise<unknown>): Promise<void> {
  const suite = makeSuite(name);
  root.children.push(suite);
  const previous = current;
  current = suite;
  try {
    await load();
  } finally {
    current = previous;
  }
}

/** Records a test file that the runtime cannot run, and why; the report prints it. */
export function skipFile(name: string, reason: string): void {
  root.children.push({ ...makeSuite(name, true), skipReason: reason });
}

function collect(name: string, body: () => void, skip: boolean): void {
  const suite = makeSuite(name, skip);
  current.children.push(suite);
  const previous = current;
  current = suite;
  try {
    body();
  } finally {
    current = previous;
  }
}

/** vitest's `%s %d %i %f %j %o %#` and `$key` placeholders. */
function formatName(template: string, args: readonly unknown[], index: number): string {
  let next = 0;
  const named =
    args.length === 1 && typeof args[0] === "object" && args[0] !== null && !Array.isArray(args[0])
      ? (args[0] as Record<string, unknown>)
      : undefined;
  const text = template.replace(/%([sdifjo#%])/g, (match, kind: string) => {
    if (kind === "%") return "%";
    if (kind === "#") return String(index);
    if (next >= args.length) return match;
    const value = args[next++];
    if (kind === "d" || kind === "i") return String(Math.trunc(Number(value)));
    if (kind === "f") return String(Number(value));
    if (kind === "j" || kind === "o") return JSON.stringify(value) ?? String(value);
    return typeof value === "string" ? value : format(value);
  });
  if (named === undefined) return text;
  return text.replace(/\$([A-Za-z_][\w.]*)/g, (match, key: string) =>
    key in named ? format(named[key]) : match,
  );
}

function format(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return value.name || "[Function]";
  if (typeof value === "bigint") return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function rowArguments(row: unknown): unknown[] {
  return Array.isArray(row) ? row : [row];
}

type TestOptions = number | { timeout?: number };

function timeoutOf(options: TestOptions | undefined): number {
  if (typeof options === "number") return options;
  return options?.timeout ?? TEST_TIMEOUT_MS;
}

function addTest(name: string, fn: Callback, options: TestOptions | undefined, skip: boolean) {
  current.children.push({ name, fn, timeout: timeoutOf(options), skip });
}

// biome-ignore lint/suspicious/noExplicitAny: test tables hold rows of any shape, as in vitest.
type Row = any;

interface TestFunction {
  (name: string, fn: Callback, options?: TestOptions): void;
  skip(name: string, fn?: Callback, options?: TestOptions): void;
  todo(name: string): void;
  skipIf(condition: unknown): (name: string, fn: Callback, options?: TestOptions) => void;
  runIf(condition: unknown): (name: string, fn: Callback, options?: TestOptions) => void;
  each<T = Row>(
    table: readonly T[],
  ): (name: string, fn: (...args: Row[]) => unknown, options?: TestOptions) => void;
}

function makeTest(): TestFunction {
  const test = ((name, fn, options) => addTest(name, fn, options, false)) as TestFunction;
  test.skip = (name, fn = () => {}, options) => addTest(name, fn, options, true);
  test.todo = (name) => addTest(name, () => {}, undefined, true);
  test.skipIf = (condition) => (name, fn, options) =>
    addTest(name, fn, options, Boolean(condition));
  test.runIf = (condition) => (name, fn, options) => addTest(name, fn, options, !condition);
  test.each = (table) => (name, fn, options) => {
    table.forEach((row, index) => {
      const args = rowArguments(row);
      addTest(formatName(name, args, index), () => fn(...args), options, false);
    });
  };
  return test;
}

export const it: TestFunction = makeTest();
export const test: TestFunction = it;

interface DescribeFunction {
  (name: string, body: () => void): void;
  skip(name: string, body: () => void): void;
  skipIf(condition: unknown): (name: string, body: () => void) => void;
  runIf(condition: unknown): (name: string, body: () => void) => void;
  each<T = Row>(table: readonly T[]): (name: string, body: (...args: Row[]) => void) => void;
}

export const describe: DescribeFunction = Object.assign(
  (name: string, body: () => void) => collect(name, body, false),
  {
    skip: (name: string, body: () => void) => collect(name, body, true),
    skipIf: (condition: unknown) => (name: string, body: () => void) =>
      collect(name, body, Boolean(condition)),
    runIf: (condition: unknown) => (name: string, body: () => void) =>
      collect(name, body, !condition),
    each:
      <T = Row>(table: readonly T[]) =>
      (name: string, body: (...args: Row[]) => void) => {
        table.forEach((row, index) => {
          const args = rowArguments(row);
          collect(formatName(name, args, index), () => body(...args), false);
        });
      },
  },
);

export function beforeAll(hook: Hook): void {
  current.beforeAll.push(hook);
}
export function afterAll(hook: Hook): void {
  current.afterAll.push(hook);
}
export function beforeEach(hook: Hook): void {
  current.beforeEach.push(hook);
}
export function afterEach(hook: Hook): void {
  current.afterEach.push(hook);
}

const mocker = new ModuleMocker(globalThis);

/** `vi.fn`, `vi.spyOn` and the resets, on jest-mock. */
export const vi = {
  fn: mocker.fn.bind(mocker),
  spyOn: mocker.spyOn.bind(mocker),
  isMockFunction: mocker.isMockFunction.bind(mocker),
  clearAllMocks: (): void => mocker.clearAllMocks(),
  resetAllMocks: (): void => mocker.resetAllMocks(),
  restoreAllMocks: (): void => mocker.restoreAllMocks(),
};
