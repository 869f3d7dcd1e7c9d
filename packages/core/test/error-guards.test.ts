/**
 * `isSesameError` and `isSessionStoreError` recognise sesame's errors from any copy of core: an
 * app and an adapter may each resolve their own (two versions side by side, or the ES module
 * and CommonJS builds), and `instanceof` only knows its own copy's classes. The second copy here
 * is the same module loaded again under another URL.
 */
import { describe, expect, it } from "vitest";
import * as errors from "../src/errors.js";
import {
  CookieError,
  isSesameError,
  isSessionStoreError,
  NoSessionError,
  ReauthRequiredError,
  SesameError,
  SessionConfigError,
  SessionDataError,
  SessionLimitError,
  SessionStoreError,
  SessionTooLargeError,
} from "../src/errors.js";

const SECOND_COPY = "../src/errors.ts?second-copy";
const other = (await import(/* @vite-ignore */ SECOND_COPY)) as typeof errors;

const everyKind = (copy: typeof errors): errors.SesameError[] => [
  new copy.SessionConfigError("bad option"),
  new copy.SessionStoreError("store_unavailable", "down"),
  new copy.SessionStoreError("store_timeout", "slow"),
  new copy.SessionTooLargeError(2, 1),
  new copy.SessionDataError("bad key"),
  new copy.CookieError("bad cookie"),
  new copy.NoSessionError("Saving"),
  new copy.ReauthRequiredError(300),
  new copy.SessionLimitError(3),
];

describe("isSesameError", () => {
  it("is a second copy of the module, whose classes instanceof does not know", () => {
    expect(other.SessionStoreError).not.toBe(SessionStoreError);
    expect(new other.SessionStoreError("store_unavailable", "down")).not.toBeInstanceOf(
      SesameError,
    );
  });

  it.each([
    ["this copy", errors],
    ["another copy", other],
  ])("recognises every sesame error from %s", (_, copy) => {
    for (const error of everyKind(copy)) expect(isSesameError(error)).toBe(true);
  });

  it.each([
    ["an Error", new Error("store_unavailable")],
    ["an error with a sesame code", Object.assign(new Error("x"), { code: "store_unavailable" })],
    ["a look-alike object", { name: "SessionStoreError", code: "store_unavailable", status: 503 }],
    ["null", null],
    ["undefined", undefined],
    ["a string", "store_unavailable"],
  ])("refuses %s", (_, value) => {
    expect(isSesameError(value)).toBe(false);
    expect(isSessionStoreError(value)).toBe(false);
  });

  it("keeps the mark out of the enumerable fields: a copy of them is no sesame error", () => {
    const error = new SessionStoreError("store_timeout", "slow");
    expect(isSesameError({ ...error })).toBe(false);
  });
});

describe("isSessionStoreError", () => {
  it.each([
    ["this copy", errors],
    ["another copy", other],
  ])("recognises store errors from %s, and only them", (_, copy) => {
    const found = everyKind(copy).filter((error) => isSessionStoreError(error));
    expect(found.map((error) => error.code)).toEqual(["store_unavailable", "store_timeout"]);
  });

  it("recognises an object that inherits from a store error (as Koa's error wrapper does)", () => {
    const wrapped = Object.create(new other.SessionStoreError("store_unavailable", "down"));
    expect(isSessionStoreError(wrapped)).toBe(true);
  });

  it.each([
    CookieError,
    NoSessionError,
    ReauthRequiredError,
    SessionConfigError,
    SessionDataError,
    SessionLimitError,
    SessionTooLargeError,
  ])("is false for %o", (Kind) => {
    const error = everyKind(errors).find((candidate) => candidate instanceof Kind);
    expect(isSessionStoreError(error)).toBe(false);
  });
});
