/**
 * An HTTP/1.1 client on a bare `node:net` socket: every header value goes out byte for byte as
 * given (a `Uint8Array` as is, a string as UTF-8), so hostile bytes reach the server's parser
 * unchanged, and the answer is read back byte for byte.
 */
import { connect } from "node:net";

/** A header value: text (sent as UTF-8) or exact bytes. */
export type RawHeaderValue = string | Uint8Array;

/** One request, as {@link sendRawRequest} writes it. */
export interface RawRequest {
  /** Default `GET`. */
  method?: string;
  /** The request target, written as is (`/me?sid=…`, `/me;sid=…`). */
  target: string;
  /** Header lines in order. `Host` and `Connection: close` are added unless given. */
  headers?: readonly (readonly [name: string, value: RawHeaderValue])[];
  /** A body, sent as is; `Content-Length` is added unless `Transfer-Encoding` is given. */
  body?: RawHeaderValue;
  /** Longest wait for the whole answer. Default 10 s. */
  timeoutMs?: number;
}

/** One answer, as it came off the socket. */
export interface RawResponse {
  status: number;
  /** Every header line in order, names as sent. */
  headerLines: [name: string, value: string][];
  /** The body, de-chunked. */
  body: Buffer;
  /** The body as UTF-8 text. */
  text: string;
  /** Every value of header `name` (case-insensitive), one entry per line. */
  header(name: string): string[];
  /** Milliseconds from connecting to the end of the answer. */
  elapsedMs: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const CRLF = Buffer.from("\r\n");

function bytesOf(value: RawHeaderValue): Buffer {
  return typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
}

/**
 * The exact bytes of `request` for `baseUrl`.
 *
 * @example
 * ```ts
 * encodeRawRequest("http://127.0.0.1:3000", { target: "/" }).toString();
 * // "GET / HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nConnection: close\r\n\r\n"
 * ```
 */
export function encodeRawRequest(baseUrl: string, request: RawRequest): Buffer {
  const { host } = new URL(baseUrl);
  const headers = [...(request.headers ?? [])];
  const has = (name: string): boolean =>
    headers.some(([header]) => header.toLowerCase() === name.toLowerCase());
  if (!has("host")) headers.unshift(["Host", host]);
  if (!has("connection")) headers.push(["Connection", "close"]);
  const body = request.body === undefined ? undefined : bytesOf(request.body);
  if (body !== undefined && !has("content-length") && !has("transfer-encoding")) {
    headers.push(["Content-Length", String(body.length)]);
  }
  const parts: Buffer[] = [Buffer.from(`${request.method ?? "GET"} ${request.target} HTTP/1.1`)];
  for (const [name, value] of headers) {
    parts.push(CRLF, Buffer.from(`${name}: `), bytesOf(value));
  }
  parts.push(CRLF, CRLF);
  if (body !== undefined) parts.push(body);
  return Buffer.concat(parts);
}

/**
 * Sends one request on a fresh connection and resolves the answer once the server closes it.
 * A server that answers early and stops reading (a 413 before the whole body, a 431) is fine:
 * write errors after an answer has begun are ignored.
 *
 * @example
 * ```ts
 * const reply = await sendRawRequest(url, {
 *   target: "/me",
 *   headers: [["Cookie", Buffer.from([0xa0, ...Buffer.from("__Host-sid=x")])]],
 * });
 * reply.status; // 401
 * ```
 */
export function sendRawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const bytes = encodeRawRequest(baseUrl, request);
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const received = Buffer.concat(chunks);
      const head = received.indexOf("\r\n\r\n");
      if (head === -1) {
        reject(
          error ?? new Error(`Incomplete answer to ${request.target}: ${received.length} bytes`),
        );
        return;
      }
      try {
        resolve(parseRawResponse(received, performance.now() - started));
      } catch (parseError) {
        reject(parseError);
      }
    };
    const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    socket.on("error", (error) => finish(error));
    socket.setTimeout(timeoutMs, () => {
      finish(new Error(`No complete answer to ${request.target} within ${timeoutMs} ms.`));
    });
  });
}

function parseRawResponse(received: Buffer, elapsedMs: number): RawResponse {
  const split = received.indexOf("\r\n\r\n");
  const [statusLine = "", ...lines] = received.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  if (!Number.isInteger(status)) throw new Error(`Not an HTTP answer: ${statusLine}`);
  const headerLines = lines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const header = (name: string): string[] =>
    headerLines
      .filter(([line]) => line.toLowerCase() === name.toLowerCase())
      .map(([, value]) => value);
  const raw = received.subarray(split + 4);
  const body = header("transfer-encoding").some((value) => /chunked/i.test(value))
    ? dechunk(raw)
    : raw;
  return { status, headerLines, body, text: body.toString("utf8"), header, elapsedMs };
}

function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const end = raw.indexOf("\r\n", offset);
    if (end === -1) break;
    const size = Number.parseInt(raw.subarray(offset, end).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(end + 2, end + 2 + size));
    offset = end + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
