/**
 * The framework-neutral request and response the routes work on, and small helpers to build
 * them. Each framework entry point turns its own request into a {@link DemoRequest} and writes
 * the {@link DemoResponse} back; nothing else about the framework reaches the routes.
 *
 * @module
 */
import {
  NoSessionError,
  type RequestSession,
  SessionDataError,
  SessionStoreError,
  SessionTooLargeError,
} from "@sesame/core";

/** What the demo keeps in session data: whatever `PUT /api/data/:key` put there. */
export type DemoData = Record<string, unknown>;
export type DemoSession = RequestSession<DemoData>;

/** One request, as the routes see it. */
export interface DemoRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  contentType: string | undefined;
  accept: string | undefined;
  /** The raw `Cookie` header, to show the session cookie on the page. */
  cookie: string | undefined;
  /** Reads the body as text (at most {@link MAX_BODY_BYTES}). */
  readBody: () => Promise<string>;
  /** The request's session, from the framework's sesame middleware. */
  session: DemoSession;
  /**
   * The client's IP address as the framework gives it (Express `req.ip`, Koa `ctx.ip`, Fastify
   * `request.ip`, the socket's address on Hono). The demo trusts no proxy, so this is the peer's address.
   */
  clientIp: string | undefined;
}

/** One response: the framework entry point writes it as is. */
export interface DemoResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The largest request body the demo reads. */
export const MAX_BODY_BYTES = 16 * 1024;

/** A client error with a status and a machine-readable `error` code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

/**
 * Every response depends on the session (or says there is none), so none may be cached:
 * `no-store` also keeps the back button from showing a signed-in page after logout.
 */
const BASE_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

export function json(status: number, body: unknown): DemoResponse {
  return {
    status,
    headers: { ...BASE_HEADERS, "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
  };
}

export function html(status: number, body: string, contentSecurityPolicy: string): DemoResponse {
  return {
    status,
    headers: {
      ...BASE_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": contentSecurityPolicy,
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
    },
    body,
  };
}

/** `303 See Other`: after a form post, the browser loads `location` with GET. */
export function seeOther(location: string): DemoResponse {
  return { status: 303, headers: { ...BASE_HEADERS, location }, body: "" };
}

export function noContent(): DemoResponse {
  return { status: 204, headers: { ...BASE_HEADERS }, body: "" };
}

/** The media type of a `Content-Type`, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

export function isForm(request: DemoRequest): boolean {
  return mediaType(request.contentType) === "application/x-www-form-urlencoded";
}

export function isJson(request: DemoRequest): boolean {
  const type = mediaType(request.contentType);
  return type === "application/json" || type.endsWith("+json");
}

/** Whether the client is a browser navigating (it asks for HTML). */
export function wantsHtml(request: DemoRequest): boolean {
  return (request.accept ?? "").toLowerCase().includes("text/html");
}

/**
 * The fields of a form or JSON body. Throws `HttpError` 415 for other media types and 400 for
 * a body that does not parse to an object.
 */
export async function readFields(request: DemoRequest): Promise<Record<string, unknown>> {
  if (isForm(request)) {
    return Object.fromEntries(new URLSearchParams(await request.readBody()));
  }
  if (!isJson(request)) throw new HttpError(415, "unsupported_media_type");
  const text = await request.readBody();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_body");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "invalid_body");
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads a body stream as UTF-8 text; throws `HttpError` 413 past {@link MAX_BODY_BYTES}. Works
 * on a Node request and on a Web `ReadableStream` alike.
 */
export async function readBodyText(
  stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | null | undefined,
): Promise<string> {
  if (stream == null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of "getReader" in stream ? chunksOf(stream) : stream) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "body_too_large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * The response for anything a route or the session middleware threw. A session store that is
 * down or too slow gives 503 `session_store_unavailable`; nothing internal reaches the client.
 */
export function errorResponse(error: unknown): DemoResponse {
  if (isStoreFailure(error)) return json(503, { error: "session_store_unavailable" });
  if (error instanceof HttpError) return json(error.status, { error: error.code });
  if (error instanceof NoSessionError) return json(401, { error: "unauthenticated" });
  if (error instanceof SessionTooLargeError) return json(413, { error: "session_too_large" });
  if (error instanceof SessionDataError) return json(400, { error: "invalid_data" });
  console.error("Unexpected error:", error);
  return json(500, { error: "internal_error" });
}

/** Whether `error` means "the session store is unreachable or too slow". */
export function isStoreFailure(error: unknown): boolean {
  if (error instanceof SessionStoreError) return true;
  const { status, code } = (error ?? {}) as { status?: unknown; code?: unknown };
  return status === 503 || code === "store_unavailable" || code === "store_timeout";
}
