import { RedisStore } from "connect-redis";
import express, { type Express } from "express";
import session from "express-session";
import type { createClient } from "redis";

declare module "express-session" {
  interface SessionData {
    userId: string;
    theme: "light" | "dark";
  }
}

/** The app before: express-session, with its sessions in Redis through connect-redis. */
export function createOldApp(client: ReturnType<typeof createClient>, secret: string): Express {
  const app = express();
  app.use(
    session({
      store: new RedisStore({ client, prefix: "sess:", ttl: 24 * 60 * 60 }),
      secret,
      name: "connect.sid",
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: "lax", maxAge: 30 * 60 * 1000 },
    }),
  );
  app.use(express.json());
  app.post("/login", (req, res, next) => {
    // (check req.body's credentials first)
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.userId = req.body.username;
      req.session.theme = "dark";
      res.sendStatus(204);
    });
  });
  app.post("/logout", (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.sendStatus(204)));
  });
  return app;
}
