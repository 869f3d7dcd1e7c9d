import type { OutgoingHttpHeaders, ServerResponse } from "node:http";

/**
 * Holds back every call that would send the response head (`writeHead`, `write`, `end`,
 * `flushHeaders`) until `commit` settles, then replays them in order, so the session's headers
 * go out with the response however the route answers (`res.json`, `res.redirect`, a piped
 * stream…). Headers passed to `writeHead` are applied through `setHeader` straight away, so the
 * object and both array forms keep working and never replace the session's `Set-Cookie`.
 *
 * When `needsCommit` says there is nothing to commit as the head goes out, every call passes
 * straight through, untouched, and `close` is told so.
 *
 * If `commit` fails (or a held call throws), the held calls are dropped, the response's headers
 * are removed, and `fail` gets the error (the middleware hands it to `next`, so the app's error
 * handler answers).
 */
export function commitBeforeHeaders(
  res: ServerResponse,
  needsCommit: () => boolean,
  commit: () => Promise<void>,
  fail: (error: unknown) => void,
  close: () => void,
): void {
  const { writeHead, write, end, flushHeaders } = res;
  const held: (() => void)[] = [];
  let state: "open" | "committing" | "done" = "open";
  let refusedWrite = false;

  const abort = (error: unknown): void => {
    state = "done";
    held.length = 0;
    if (!res.headersSent) for (const name of res.getHeaderNames()) res.removeHeader(name);
    fail(error);
  };
  const replay = (): void => {
    state = "done";
    try {
      for (const call of held.splice(0)) call();
    } catch (error) {
      abort(error);
      return;
    }
    if (refusedWrite && !res.writableNeedDrain) res.emit("drain");
  };
  /** Whether calls go straight through: the commit is over, or there is nothing to commit. */
  const passing = (): boolean => {
    if (state === "open" && !needsCommit()) {
      state = "done";
      close();
    }
    return state === "done";
  };
  const hold = (call: () => void): void => {
    held.push(call);
    if (state !== "open") return;
    state = "committing";
    commit().then(replay, abort);
  };

  res.writeHead = ((statusCode: number, ...rest: unknown[]) => {
    const reason = typeof rest[0] === "string" ? rest[0] : undefined;
    applyHeaders(res, reason === undefined ? rest[0] : rest[1]);
    const args = reason === undefined ? [statusCode] : [statusCode, reason];
    // Known before the commit starts, as `res.status()` would have made it.
    res.statusCode = statusCode;
    if (passing()) return Reflect.apply(writeHead, res, args);
    hold(() => Reflect.apply(writeHead, res, args));
    return res;
  }) as ServerResponse["writeHead"];
  res.write = ((...args: unknown[]) => {
    if (passing()) return Reflect.apply(write, res, args);
    hold(() => Reflect.apply(write, res, args));
    refusedWrite = true;
    return false;
  }) as ServerResponse["write"];
  res.end = ((...args: unknown[]) => {
    if (passing()) return Reflect.apply(end, res, args);
    hold(() => Reflect.apply(end, res, args));
    return res;
  }) as ServerResponse["end"];
  res.flushHeaders = (): void => {
    if (passing()) flushHeaders.call(res);
    else hold(() => flushHeaders.call(res));
  };
}

/** Applies `writeHead`'s headers argument the way Node does: object, `[k, v, …]` or `[[k, v], …]`. */
function applyHeaders(res: ServerResponse, headers: unknown): void {
  if (headers === undefined || headers === null) return;
  if (!Array.isArray(headers)) {
    for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) {
      if (name) res.setHeader(name, value as string | string[]);
    }
    return;
  }
  const pairs: unknown[][] = Array.isArray(headers[0])
    ? headers
    : Array.from({ length: Math.ceil(headers.length / 2) }, (_, i) =>
        headers.slice(2 * i, 2 * i + 2),
      );
  const seen = new Set<string>();
  for (const [name, value] of pairs) {
    if (typeof name !== "string" || name === "") continue;
    const key = name.toLowerCase();
    if (seen.has(key)) res.appendHeader(name, value as string | string[]);
    else res.setHeader(name, value as string | string[]);
    seen.add(key);
  }
}
