import { createServer, type RequestListener } from "node:http";
import { connect } from "node:net";

/** Longest the suite waits for one answer, so a stuck response fails its test clearly. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * A server the adapter conformance suite talks to.
 *
 * @example
 * ```ts
 * const server: ConformanceServer = await listenOnLoopback(app.callback());
 * await server.close();
 * ```
 */
export interface ConformanceServer {
  /** Base URL, such as `http://127.0.0.1:41234`. */
  url: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * One answer, as a `fetch` client sees it.
 *
 * @example
 * ```ts
 * const reply: HttpReply = await sendRequest(url, "GET", "/me");
 * reply.status; // 401
 * ```
 */
export interface HttpReply {
  status: number;
  headers: Headers;
  body: string;
  /** Every `Set-Cookie` field, one entry each (never comma-joined). */
  setCookies: string[];
}

/**
 * One answer, byte for byte as it came off the socket.
 *
 * @example
 * ```ts
 * const reply: RawReply = await sendRaw(url, "POST", "/three-cookies", [["Cookie", cookie]]);
 * reply.headerLines.filter(([name]) => name.toLowerCase() === "set-cookie").length; // 4
 * ```
 */
export interface RawReply {
  status: number;
  /** Every header line in order, with the name as sent. */
  headerLines: [name: string, value: string][];
  /** The body, de-chunked. */
  body: string;
}

/**
 * The `Set-Cookie` lines of a raw reply, in order.
 *
 * @example
 * ```ts
 * expect(setCookieLines(await sendRaw(url, "GET", "/", []))).toEqual([]);
 * ```
 */
export function setCookieLines(reply: Pick<RawReply, "headerLines">): string[] {
  return reply.headerLines
    .filter(([name]) => name.toLowerCase() === "set-cookie")
    .map(([, value]) => value);
}

/**
 * What {@link sendRequest} sends besides the method and path.
 *
 * @example
 * ```ts
 * const options: RequestOptions = { cookie, headers: { origin: "null" }, json: { userId: "alice" } };
 * ```
 */
export interface RequestOptions {
  /** The `Cookie` header. */
  cookie?: string;
  /** Any other headers. */
  headers?: Record<string, string>;
  /** A JSON body (sets `Content-Type: application/json`). */
  json?: unknown;
}

/**
 * Serves `listener` on 127.0.0.1 with a free port.
 *
 * @example
 * ```ts
 * const server = await listenOnLoopback(app.callback());
 * await fetch(`${server.url}/public`);
 * await server.close();
 * ```
 */
export function listenOnLoopback(listener: RequestListener): Promise<ConformanceServer> {
  const server = createServer(listener);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error("The server has no TCP address."));
        return;
      }
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * Sends one request with Node's `fetch`, never following redirects.
 *
 * @example
 * ```ts
 * const reply = await sendRequest(server.url, "POST", "/login", { json: { userId: "alice" } });
 * reply.setCookies; // ["__Host-sid=…; Path=/; Secure; HttpOnly; SameSite=Lax"]
 * ```
 */
export async function sendRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpReply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers,
    body,
    redirect: "manual",
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: await response.text(),
    setCookies: response.headers.getSetCookie(),
  };
}

/**
 * Sends one HTTP/1.1 request over a raw socket, for the cases where exact bytes matter: a
 * chosen `Host`, repeated header lines, every `Set-Cookie` line as sent. `headerLines` are
 * written as given, in order; `Connection: close` and `Content-Length` are added.
 *
 * @example
 * ```ts
 * const reply = await sendRaw(server.url, "GET", "/me", [["Cookie", "a=1"], ["Cookie", sid]]);
 * ```
 */
export function sendRaw(
  baseUrl: string,
  method: string,
  path: string,
  headerLines: readonly (readonly [string, string])[],
  body = "",
): Promise<RawReply> {
  const url = new URL(baseUrl);
  const lines = [`${method} ${path} HTTP/1.1`];
  if (!headerLines.some(([name]) => name.toLowerCase() === "host")) lines.push(`Host: ${url.host}`);
  for (const [name, value] of headerLines) lines.push(`${name}: ${value}`);
  lines.push("Connection: close", `Content-Length: ${Buffer.byteLength(body)}`);
  const head = `${lines.join("\r\n")}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname, () => socket.write(head + body));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => {
      socket.destroy(
        new Error(`No complete answer to ${method} ${path} within ${REQUEST_TIMEOUT_MS} ms.`),
      );
    });
    socket.on("end", () => {
      try {
        resolve(parseRawReply(Buffer.concat(chunks).toString("latin1")));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function parseRawReply(text: string): RawReply {
  const split = text.indexOf("\r\n\r\n");
  if (split === -1) throw new Error(`Incomplete HTTP response: ${JSON.stringify(text)}`);
  const [statusLine, ...lines] = text.slice(0, split).split("\r\n");
  const status = Number(statusLine?.split(" ")[1]);
  const headerLines = lines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const chunked = headerLines.some(
    ([name, value]) =>
      name.toLowerCase() === "transfer-encoding" && value.toLowerCase() === "chunked",
  );
  const body = text.slice(split + 4);
  return { status, headerLines, body: chunked ? dechunk(body) : body };
}

function dechunk(text: string): string {
  let body = "";
  let offset = 0;
  for (;;) {
    const end = text.indexOf("\r\n", offset);
    const size = Number.parseInt(text.slice(offset, end), 16);
    if (end === -1 || !Number.isFinite(size) || size === 0) return body;
    body += text.slice(end + 2, end + 2 + size);
    offset = end + 2 + size + 2;
  }
}
