import { isSessionStoreError, SessionManager, type SessionStore } from "@sesame/core";
import {
  crossOriginProtection,
  getSession,
  migrateFromExpressSession,
  sessionMiddleware,
} from "@sesame/express";
import { RedisStore } from "connect-redis";
import express, { type ErrorRequestHandler, type Express } from "express";
import type { createClient } from "redis";

type Data = { theme?: "light" | "dark" };

/**
 * The app after: sesame keeps the sessions in `store` (such as `new RedisStore(client)` from
 * `@sesame/redis`), and takes over express-session's users on their next request.
 */
export function createApp(
  oldClient: ReturnType<typeof createClient>,
  oldSecret: string,
  store: SessionStore,
): Express {
  const manager = new SessionManager<Data>({
    store,
    idleTimeoutSeconds: 30 * 60, // cookie.maxAge with rolling: true
    touchIntervalSeconds: 60, // rolling: slide the expiry, at most one write a minute
    cookie: { sameSite: "Lax" }, // name __Host-sid; Secure, HttpOnly and Path=/ always
  });
  const app = express();
  app.use(crossOriginProtection());
  // Keep this until the old store's TTL (one day here) has passed since the switch.
  app.use(
    migrateFromExpressSession(manager, {
      store: new RedisStore({ client: oldClient, prefix: "sess:" }),
      secret: oldSecret,
      map: (old) =>
        typeof old.userId === "string"
          ? { userId: old.userId, data: { theme: old.theme === "light" ? "light" : "dark" } }
          : null,
    }),
  );
  app.use(sessionMiddleware(manager));
  app.use(express.json());
  app.post("/login", async (req, res) => {
    // (check req.body's credentials first) create() replaces regenerate() + assignments.
    await getSession(req, manager).create(req.body.username, { data: { theme: "dark" } });
    res.sendStatus(204);
  });
  app.get("/me", (req, res) => {
    const session = getSession(req, manager);
    res.set("Cache-Control", "no-store");
    if (session.userId === null) res.status(401).json({ error: "unauthenticated" });
    else res.json({ userId: session.userId, theme: session.get("theme") });
  });
  app.put("/theme", (req, res) => {
    getSession(req, manager).set("theme", req.body.theme); // was req.session.theme = …
    res.sendStatus(204);
  });
  app.post("/logout", async (req, res) => {
    await getSession(req, manager).destroy(); // was req.session.destroy(callback)
    res.sendStatus(204);
  });
  const onError: ErrorRequestHandler = (error, _req, res, next) => {
    if (!isSessionStoreError(error)) return next(error);
    res.status(503).json({ error: "session_store_unavailable" });
  };
  app.use(onError);
  return app;
}
