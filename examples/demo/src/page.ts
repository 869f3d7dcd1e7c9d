/**
 * The demo's one HTML page, rendered on the server: no scripts, no external assets, inline CSS
 * allowed by its hash. Every piece of text that came from a request (the user agent above all)
 * goes through {@link escapeHtml}.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** One of the user's sessions, as the page lists them. */
export interface PageSession {
  handle: string;
  createdAt: number;
  lastSeenAt: number;
  userAgent: string | null;
  current: boolean;
}

/** What the signed-in page shows. */
export interface SignedInView {
  user: { id: string; name: string };
  /** The framework and store this process runs on. */
  runsOn: string;
  cookie: { name: string; maskedValue: string; attributes: readonly string[] };
  record: {
    /** The first characters of the store key (SHA-256 of the token, hex). */
    keyPrefix: string;
    userId: string;
    createdAt: number;
    lastSeenAt: number;
    expiresAt: number;
    absoluteExpiresAt: number;
    userAgent: string | null;
    data: string;
  };
  sessions: readonly PageSession[];
  now: number;
}

/** What the signed-out page shows. */
export interface SignedOutView {
  runsOn: string;
  /** Shown above the form after a failed sign-in. */
  error?: string;
  /** Fills the username field again after a failed sign-in. */
  username?: string;
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #f6f8fa; --card: #fff;
  --line: #d0d7de; --accent: #0a58ca; --accent-fg: #fff; --here: #fff4c2; --danger: #b42318; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117;
  --card: #161b22; --line: #30363d; --accent: #4493f8; --accent-fg: #0d1117; --here: #3b2f00;
  --danger: #ff7b72; } }
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 48rem; margin: 0 auto; padding: 1rem; }
header { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: baseline;
  justify-content: space-between; }
header p { margin: 0; color: var(--muted); font-size: .9rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: 1rem; margin: 0 0 1rem; }
p.note { color: var(--muted); font-size: .9rem; margin: .5rem 0 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .9em; overflow-wrap: anywhere; }
ol.steps { margin: 0; padding-left: 1.5rem; }
ol.steps li { padding: .35rem .5rem; border-radius: .35rem; }
ol.steps li.here { background: var(--here); }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: 0 .4rem;
  border: 1px solid currentColor; border-radius: 1rem; margin-left: .25rem; }
dl { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: .35rem 1rem;
  margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
@media (max-width: 30rem) { dl { grid-template-columns: 1fr; gap: 0; }
  dd { margin-bottom: .5rem; } }
ul.attrs { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .35rem; }
ul.attrs li { border: 1px solid var(--line); border-radius: .35rem; padding: 0 .4rem; }
ul.sessions { list-style: none; margin: 0 0 1rem; padding: 0; }
ul.sessions li { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center;
  justify-content: space-between; border-top: 1px solid var(--line); padding: .6rem 0; }
ul.sessions li:first-child { border-top: 0; }
ul.sessions li > div { flex: 1 1 20rem; min-width: 0; }
.device { font-weight: 600; }
.ua { display: block; color: var(--muted); font-size: .8rem; overflow-wrap: anywhere; }
form { margin: 0; }
.field { margin: 0 0 .75rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input { width: 100%; max-width: 22rem; font: inherit; padding: .55rem .65rem;
  border: 1px solid var(--line); border-radius: .35rem; background: var(--bg); color: var(--fg); }
button { font: inherit; font-weight: 600; min-height: 2.75rem; padding: .45rem 1rem;
  border-radius: .35rem; border: 1px solid var(--accent); background: var(--accent);
  color: var(--accent-fg); cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); }
button.danger { background: transparent; color: var(--danger); border-color: var(--danger); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; }
.error { color: var(--danger); font-weight: 600; }
`;

/** The page's Content-Security-Policy: nothing but this exact stylesheet and same-origin forms. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STEPS = [
  ["Login", "you send a username and password."],
  [
    "Session created and stored",
    "the server makes a random 256-bit token and stores a record under the token's SHA-256.",
  ],
  [
    "Cookie sent",
    "the token goes back in an HttpOnly cookie; your browser sends it with every request.",
  ],
  [
    "Each request looked up",
    "the server hashes the cookie, finds the record and knows who you are. Unknown or expired: signed out.",
  ],
  [
    "Logout destroys",
    "the record is deleted and the cookie cleared. A copied cookie is worthless from then on.",
  ],
] as const;

/** The sign-in page, with the five steps and step 1 marked. */
export function renderSignedOut(view: SignedOutView): string {
  const error =
    view.error === undefined ? "" : `<p class="error" role="alert">${escapeHtml(view.error)}</p>`;
  return layout(
    "Sign in",
    view.runsOn,
    `<h1>Sign in</h1>
<section aria-labelledby="login-title">
  <h2 id="login-title">Your account</h2>
  ${error}
  <form method="post" action="/login">
    <div class="field"><label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" autocapitalize="none"
        spellcheck="false" required value="${escapeHtml(view.username ?? "")}"></div>
    <div class="field"><label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required></div>
    <button type="submit">Sign in</button>
  </form>
  <p class="note">Demo accounts: <code>alice</code> / <code>wonderland</code> and <code>bob</code> / <code>builder</code>.</p>
</section>
${renderSteps(0, ["You are here: nobody is signed in on this browser."])}`,
  );
}

/** The signed-in page: who you are, the flow, the cookie, the stored record, your sessions. */
export function renderSignedIn(view: SignedInView): string {
  const { user, record, now } = view;
  const notes = [
    `Done at ${time(record.createdAt, now)}.`,
    `Done: the record below.`,
    `Done: the cookie below.`,
    `This request: your browser sent the cookie, the server found the record, so this page knows you are ${escapeHtml(user.name)}.`,
    `Next, when you press “Sign out”.`,
  ];
  return layout(
    `Signed in as ${user.name}`,
    view.runsOn,
    `<h1>Signed in as ${escapeHtml(user.name)}</h1>
${renderSteps(3, notes)}
${renderCookie(view.cookie)}
${renderRecord(record, now)}
${renderSessions(view.sessions, now)}
<section aria-labelledby="logout-title">
  <h2 id="logout-title">Sign out</h2>
  <form method="post" action="/logout"><button type="submit">Sign out</button></form>
  <p class="note">Deletes this session's record and clears the cookie (step 5).</p>
</section>`,
  );
}

/** A short page for a session store that does not answer. */
export function renderStoreUnavailable(runsOn: string): string {
  return layout(
    "Session store unavailable",
    runsOn,
    `<h1>Session store unavailable</h1>
<section><p role="alert">The session store does not answer, so nobody can be signed in or out
right now. Nothing was changed; try again in a moment.</p></section>`,
  );
}

function layout(title: string, runsOn: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · sesame demo</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header><p><strong>sesame</strong> demo: server-side sessions</p><p>${escapeHtml(runsOn)}</p></header>
${body}
</main>
</body>
</html>
`;
}

function renderSteps(current: number, notes: readonly string[]): string {
  const items = STEPS.map(([title, text], index) => {
    const here = index === current;
    const note = notes[index] === undefined ? "" : `<br><small>${notes[index]}</small>`;
    const badge = here ? ` <span class="badge">this request</span>` : "";
    return `<li${here ? ' class="here" aria-current="step"' : ""}><strong>${title}</strong>${badge}: ${text}${note}</li>`;
  });
  return `<section aria-labelledby="steps-title">
  <h2 id="steps-title">How session authentication works</h2>
  <ol class="steps">${items.join("\n")}</ol>
</section>`;
}

function renderCookie(cookie: SignedInView["cookie"]): string {
  const attributes = cookie.attributes.map((a) => `<li><code>${escapeHtml(a)}</code></li>`);
  return `<section aria-labelledby="cookie-title">
  <h2 id="cookie-title">The cookie, as your browser holds it</h2>
  <dl>
    <dt>Name</dt><dd><code>${escapeHtml(cookie.name)}</code></dd>
    <dt>Value</dt><dd><code>${escapeHtml(cookie.maskedValue)}</code> (masked here; the whole token is the key to your session)</dd>
    <dt>Attributes</dt><dd><ul class="attrs">${attributes.join("")}</ul></dd>
  </dl>
  <p class="note">HttpOnly: page scripts cannot read it. Secure: only sent over HTTPS (or to this
  machine). SameSite=Lax: not sent with another site's form posts. <code>__Host-</code>: this host only, path /.</p>
</section>`;
}

function renderRecord(record: SignedInView["record"], now: number): string {
  return `<section aria-labelledby="record-title">
  <h2 id="record-title">The record, as the store holds it</h2>
  <dl>
    <dt>Key</dt><dd><code>sha256:${escapeHtml(record.keyPrefix)}…</code> (SHA-256 of the token, never the token)</dd>
    <dt>User id</dt><dd><code>${escapeHtml(record.userId)}</code></dd>
    <dt>Created</dt><dd>${time(record.createdAt, now)}</dd>
    <dt>Last seen</dt><dd>${time(record.lastSeenAt, now)}</dd>
    <dt>Idle expiry</dt><dd>${time(record.expiresAt, now)}, moved forward as you use it</dd>
    <dt>Absolute expiry</dt><dd>${time(record.absoluteExpiresAt, now)}, however active you are</dd>
    <dt>User agent</dt><dd class="mono">${escapeHtml(record.userAgent ?? "(none)")}</dd>
    <dt>Data</dt><dd><code>${escapeHtml(record.data)}</code></dd>
  </dl>
</section>`;
}

function renderSessions(sessions: readonly PageSession[], now: number): string {
  const ordered = [...sessions].sort((a, b) => Number(b.current) - Number(a.current));
  const items = ordered.map((session) => {
    const action = session.current
      ? `<span class="badge">this browser</span>`
      : `<form method="post" action="/sessions/${encodeURIComponent(session.handle)}/revoke">
        <button type="submit" class="danger" aria-label="Revoke session on ${escapeHtml(describeUserAgent(session.userAgent))}, signed in ${escapeHtml(relative(session.createdAt, now))}">Revoke</button></form>`;
    return `<li><div><span class="device">${escapeHtml(describeUserAgent(session.userAgent))}</span>
      <span class="ua">${escapeHtml(session.userAgent ?? "no user agent")}</span>
      <small>Signed in ${time(session.createdAt, now)}; last seen ${time(session.lastSeenAt, now)}</small></div>
      ${action}</li>`;
  });
  const others = sessions.filter((session) => !session.current).length;
  return `<section aria-labelledby="sessions-title">
  <h2 id="sessions-title">Your sessions (${sessions.length})</h2>
  <ul class="sessions">${items.join("\n")}</ul>
  <form method="post" action="/sessions/revoke-others">
    <button type="submit" class="secondary">Sign out everywhere else</button>
  </form>
  <p class="note">${others === 0 ? "No other sessions right now." : `${others} other session${others === 1 ? "" : "s"}.`} Revoking deletes the record, so that browser is signed out on its next request: no waiting for a token to expire.</p>
</section>`;
}

const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/Edg\//, "Edge"],
  [/Firefox\//, "Firefox"],
  [/HeadlessChrome\//, "Headless Chrome"],
  [/Chrom(e|ium)\//, "Chrome"],
  [/Safari\//, "Safari"],
  [/^curl\//, "curl"],
  [/^node|undici/i, "Node.js"],
];

const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/Android/, "Android"],
  [/iPhone|iPad/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

/** "Chrome on Linux", from a user agent string; good enough for a list of devices. */
export function describeUserAgent(userAgent: string | null): string {
  if (userAgent === null || userAgent === "") return "Unknown device";
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? "A browser";
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  return system === undefined ? browser : `${browser} on ${system}`;
}

function time(at: number, now: number): string {
  const iso = new Date(at).toISOString();
  const shown = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  return `<time datetime="${iso}">${shown}</time> (${relative(at, now)})`;
}

function relative(at: number, now: number): string {
  const seconds = Math.round((at - now) / 1000);
  const size = Math.abs(seconds);
  const text =
    size < 60
      ? `${size} s`
      : size < 3600
        ? `${Math.round(size / 60)} min`
        : `${Math.round(size / 360) / 10} h`;
  if (size < 2) return "just now";
  return seconds < 0 ? `${text} ago` : `in ${text}`;
}
