import { DatabaseSync } from "node:sqlite";
import { SessionManager } from "@sesame/core";
import {
  crossOriginProtection,
  type SessionEnv,
  sessionErrorHandler,
  sessionMiddleware,
} from "@sesame/hono";
import { SqliteStore } from "@sesame/sqlite";
import { Hono } from "hono";

type Data = { theme?: "light" | "dark" };
const store = new SqliteStore(new DatabaseSync("sessions.db")); // users stay signed in across restarts
await store.createSchema(); // creates the sessions table and its indexes if they are missing
const manager = new SessionManager<Data>({ store });

const app = new Hono<SessionEnv<Data>>();
app.onError(sessionErrorHandler);
app.use(crossOriginProtection());
app.use(sessionMiddleware(manager));

app.post("/login", async (c) => {
  // Check the credentials first; then:
  await c.get("session").create("user-42");
  return c.json({ ok: true });
});

app.get("/me", (c) => {
  const session = c.get("session");
  c.header("Cache-Control", "no-store");
  if (session.userId === null) return c.json({ error: "unauthenticated" }, 401);
  return c.json({ userId: session.userId, theme: session.get("theme") ?? "light" });
});

app.post("/logout", async (c) => {
  await c.get("session").destroy();
  return c.body(null, 204);
});

const port = Number(Deno.env.get("PORT") ?? 8000);
Deno.serve({ hostname: "127.0.0.1", port }, app.fetch);
