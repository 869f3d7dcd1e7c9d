/**
 * The demo in headless Chromium: what a person does with it, on Express, Koa and Hono over
 * SQLite, and on Redis and PostgreSQL once each. Also writes the README's screenshot.
 */
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FrameworkName, StoreName } from "../src/config.js";
import { COOKIE_NAME } from "./support/client.js";
import { type DemoProcess, startDemo } from "./support/demo-process.js";
import {
  assertAvailable,
  CHROMIUM_PATH,
  type Probe,
  probeChromium,
  probePostgres,
  probeRedis,
  shouldSkip,
} from "./support/services.js";
import { prepareStore, type TestStore } from "./support/test-stores.js";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const SCREENSHOT = fileURLToPath(new URL("../../../docs/demo-signed-in.png", import.meta.url));
const PHONE_USER_AGENT =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

const chromiumProbe = probeChromium();
const storeProbes: Record<StoreName, Probe> = {
  sqlite: null,
  memory: null,
  redis: await probeRedis(),
  postgres: await probePostgres(),
};

interface Target {
  framework: FrameworkName;
  store: StoreName;
  screenshot?: boolean;
}

const TARGETS: Target[] = [
  { framework: "express", store: "sqlite", screenshot: true },
  { framework: "koa", store: "sqlite" },
  { framework: "hono", store: "sqlite" },
  { framework: "fastify", store: "sqlite" },
  { framework: "koa", store: "redis" },
  { framework: "hono", store: "postgres" },
];

describe.skipIf(shouldSkip(chromiumProbe, "the browser tests"))("the demo in Chromium", () => {
  let browser: Browser;
  let attacker: AttackerSite;

  beforeAll(async () => {
    assertAvailable(chromiumProbe);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    attacker = await startAttackerSite();
  });

  afterAll(async () => {
    await browser?.close();
    await attacker?.close();
  });

  for (const target of TARGETS) {
    const name = `${target.framework} + ${target.store}`;
    describe.skipIf(shouldSkip(storeProbes[target.store], `the browser test on ${name}`))(
      name,
      () => {
        let demo: DemoProcess;
        let prepared: TestStore;
        let desktop: Session;
        let phone: Session;
        let other: Session;

        beforeAll(async () => {
          assertAvailable(storeProbes[target.store]);
          prepared = await prepareStore(target.store);
          demo = await startDemo({ FRAMEWORK: target.framework, ...prepared.env });
        });

        afterAll(async () => {
          for (const session of [desktop, phone, other]) await session?.context.close();
          await demo?.stop();
          await prepared?.cleanup();
        });

        it("signs in through the form and stays signed in on reload", async () => {
          desktop = await openSession(browser, demo.url);
          await signIn(desktop.page);
          await desktop.page.reload();
          await expectSignedIn(desktop.page);
        });

        it("keeps the session in an HttpOnly, Secure, SameSite=Lax __Host- cookie", async () => {
          const cookies = await desktop.context.cookies(demo.url);
          expect(cookies.map((cookie) => cookie.name)).toEqual([COOKIE_NAME]);
          expect(cookies[0]).toMatchObject({
            httpOnly: true,
            secure: true,
            sameSite: "Lax",
            path: "/",
            domain: "127.0.0.1",
            expires: -1,
          });
          const page = desktop.page;
          await expect(page.getByText(`${cookies[0]!.value.slice(0, 4)}•••`).count()).resolves.toBe(
            1,
          );
          expect(await page.content()).not.toContain(cookies[0]!.value);
        });

        it("lists the sessions of every browser the user signed in on", async () => {
          phone = await openSession(browser, demo.url, PHONE_USER_AGENT);
          other = await openSession(browser, demo.url);
          await signIn(phone.page);
          await signIn(other.page);
          await desktop.page.reload();
          await expect.poll(() => sessionItems(desktop.page).count()).toBe(3);
          await desktop.page.getByText("Safari on iOS").waitFor();
          await phone.page.reload();
          await expect.poll(() => sessionItems(phone.page).count()).toBe(3);
          if (target.screenshot) {
            await mkdir(dirname(SCREENSHOT), { recursive: true });
            await desktop.page.setViewportSize({ width: 1000, height: 800 });
            await desktop.page.screenshot({ path: SCREENSHOT, fullPage: true });
          }
        });

        it("refuses a cross-site form post and keeps every session", async () => {
          const page = await desktop.context.newPage();
          for (const [button, path] of [
            ["Win a prize", "/api/sessions/revoke-others"],
            ["Claim it", "/logout"],
          ] as const) {
            await page.goto(`${attacker.url}/?app=${encodeURIComponent(demo.url)}`);
            const [response] = await Promise.all([
              page.waitForResponse(`${demo.url}${path}`),
              page.getByRole("button", { name: button }).click(),
            ]);
            expect(response.status(), path).toBe(403);
          }
          await page.close();
          for (const session of [desktop, phone, other]) {
            await session.page.reload();
            await expectSignedIn(session.page);
          }
        });

        it("revokes one session with its button, the others with 'sign out everywhere else'", async () => {
          await desktop.page
            .getByRole("button", { name: /^Revoke session on Safari on iOS/ })
            .click();
          await expect.poll(() => sessionItems(desktop.page).count()).toBe(2);
          await phone.page.reload();
          await expectSignedOut(phone.page);
          await other.page.reload();
          await expectSignedIn(other.page);
          await desktop.page.getByRole("button", { name: "Sign out everywhere else" }).click();
          await expect.poll(() => sessionItems(desktop.page).count()).toBe(1);
          await other.page.reload();
          await expectSignedOut(other.page);
        });

        it("reads well on a phone-sized screen", async () => {
          const page = desktop.page;
          await page.setViewportSize({ width: 360, height: 740 });
          await page.reload();
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
          );
          expect(overflow).toBeLessThanOrEqual(0);
        });

        it("is still signed in after the server restarts", async () => {
          await demo.restart();
          await desktop.page.reload();
          await expectSignedIn(desktop.page);
        });

        it("signs out: the cookie is gone and Back does not show the signed-in page", async () => {
          const page = desktop.page;
          await page.getByRole("button", { name: "Sign out", exact: true }).click();
          await expectSignedOut(page);
          await expect(desktop.context.cookies(demo.url)).resolves.toEqual([]);
          await page.goBack();
          await expectSignedOut(page);
          await expect(page.getByText("Signed in as").count()).resolves.toBe(0);
        });
      },
    );
  }

  describe("express + memory", () => {
    let demo: DemoProcess;
    let session: Session;

    beforeAll(async () => {
      demo = await startDemo({ FRAMEWORK: "express", SESSION_STORE: "memory" });
    });

    afterAll(async () => {
      await session?.context.close();
      await demo?.stop();
    });

    it("forgets every session when the server restarts", async () => {
      session = await openSession(browser, demo.url);
      await signIn(session.page);
      await session.page.reload();
      await expectSignedIn(session.page);
      await demo.restart();
      await session.page.reload();
      await expectSignedOut(session.page);
    });
  });
});

interface Session {
  context: BrowserContext;
  page: Page;
}

async function openSession(browser: Browser, url: string, userAgent?: string): Promise<Session> {
  const context = await browser.newContext({
    baseURL: url,
    ...(userAgent !== undefined && { userAgent }),
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await page.goto("/");
  return { context, page };
}

async function signIn(page: Page): Promise<void> {
  await page.goto("/");
  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password").fill("wonderland");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectSignedIn(page);
}

async function expectSignedIn(page: Page): Promise<void> {
  await page.getByRole("heading", { level: 1, name: "Signed in as Alice" }).waitFor();
}

async function expectSignedOut(page: Page): Promise<void> {
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
}

function sessionItems(page: Page) {
  return page.locator("ul.sessions > li");
}

interface AttackerSite {
  /** On `localhost`: another site than the demo on `127.0.0.1`. */
  url: string;
  close(): Promise<void>;
}

/** Another site, whose page posts forms to the demo the way a CSRF attack would. */
async function startAttackerSite(): Promise<AttackerSite> {
  const server: Server = createServer((request, response) => {
    const app = new URL(request.url ?? "/", "http://localhost").searchParams.get("app") ?? "";
    const action = (path: string): string => `${app}${path}`.replace(/"/g, "&quot;");
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><title>Prizes</title>
<form method="post" action="${action("/api/sessions/revoke-others")}"><button>Win a prize</button></form>
<form method="post" action="${action("/logout")}"><button>Claim it</button></form>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
