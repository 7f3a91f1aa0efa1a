/**
 * Security headers on the built app as served (issue 15): every page, a 404, the health and
 * metrics endpoints carry them; pages get a per-request CSP nonce and every <script> in their HTML
 * carries it; camera and microphone are allowed only on dormparty's pages. A real browser then
 * loads the landing page and dormparty with the policy in force and logs no violation.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { E2E_ADMIN_PASSWORD } from "../playwright.config";
import { expect, test } from "./fixtures";

/** The build's framework chunks (Next's build manifest of the build under test). */
const ROOT_MAIN_FILES = (
  JSON.parse(
    readFileSync(path.join(import.meta.dirname, "../apps/web/.next/build-manifest.json"), "utf8"),
  ) as { rootMainFiles: string[] }
).rootMainFiles.filter((f) => f.endsWith(".js"));

const PAGES = ["/", "/menti", "/stimchat", "/dormparty", "/admin", "/room/not-a-session"];
const OTHERS = ["/no-such-page", "/healthz", "/readyz", "/metrics", "/api/admin/session"];

test("every response carries the security headers", async ({ request }) => {
  for (const path of [...PAGES, ...OTHERS]) {
    const res = await request.get(path, { maxRedirects: 0 });
    const h = res.headers();
    expect.soft(h["x-content-type-options"], path).toBe("nosniff");
    expect.soft(h["referrer-policy"], path).toBe("no-referrer");
    expect.soft(h["x-frame-options"], path).toBe("DENY");
    expect.soft(h["cross-origin-opener-policy"], path).toBe("same-origin");
    expect.soft(h["content-security-policy"], path).toContain("frame-ancestors 'none'");
    const media = path === "/dormparty" || path.startsWith("/room/");
    expect
      .soft(h["permissions-policy"], path)
      .toMatch(media ? /camera=\(self\), microphone=\(self\)/ : /camera=\(\), microphone=\(\)/);
  }
});

test("pages: a fresh nonce per request, and no <script> without it", async ({ request }) => {
  for (const path of [...PAGES, "/no-such-page"]) {
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await request.get(path);
      const csp = res.headers()["content-security-policy"] ?? "";
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
      expect(nonce, `${path}: ${csp}`).toBeTruthy();
      expect(csp).toContain("'strict-dynamic'");
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      nonces.push(nonce ?? "");
      const html = await res.text();
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length, path).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  }
});

test("the framework scripts every page loads carry V8's compile hint, as served", async ({
  request,
}) => {
  // scripts/compile-hints.mjs marks them after `next build`; this is the build the server serves.
  const html = await (await request.get("/")).text();
  const sources = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+\.js)"/g)].map((m) => m[1] ?? "");
  const framework = sources.filter((src) => ROOT_MAIN_FILES.some((f) => src.endsWith(f)));
  expect(framework.length, sources.join(" ")).toBe(ROOT_MAIN_FILES.length);
  for (const src of framework) {
    const body = await (await request.get(src)).text();
    expect(body.startsWith("//# allFunctionsCalledOnLoad\n"), src).toBe(true);
  }
});

test("pages render what the server knows in their HTML: how calls connect, the moderator's session, stimchat's topics", async ({
  request,
  baseURL,
}) => {
  // The e2e server has no TURN relay: calls may connect directly, and the page says so at once.
  expect(await (await request.get("/dormparty")).text()).toContain(
    "Video goes straight between your device and the other person",
  );
  // stimchat's topic buttons are in the first HTML, not added when the connection opens.
  expect(await (await request.get("/stimchat")).text()).toMatch(
    /<button[^>]*aria-pressed="false"[^>]*>music<\/button>/,
  );
  const signedOut = await (await request.get("/admin")).text();
  expect(signedOut).toContain('type="password"');
  expect(signedOut).not.toContain("Checking…");
  const login = await request.post("/api/admin/login", {
    headers: { "x-duet-admin": "1", origin: baseURL ?? "" },
    data: { password: E2E_ADMIN_PASSWORD },
  });
  expect(login.status()).toBe(200);
  // The request context keeps the session cookie: the console is in the page's first HTML.
  const signedIn = await (await request.get("/admin")).text();
  expect(signedIn).toContain("Sign out");
  expect(signedIn).not.toContain('type="password"');
  await request.post("/api/admin/logout", {
    headers: { "x-duet-admin": "1", origin: baseURL ?? "" },
  });
});

test("with the policy in force, pages run and log no violation", async ({ newUser }) => {
  const user = await newUser();
  const page = user.page;
  const violations: string[] = [];
  await page.exposeFunction("__cspViolation", (v: string) => violations.push(v));
  // Strings, not functions: the e2e TypeScript project has no DOM types.
  await page.addInitScript(
    `document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(e.violatedDirective + " " + e.blockedURI));`,
  );
  for (const path of ["/", "/menti", "/stimchat", "/dormparty", "/admin"]) {
    await page.goto(path);
    await expect(page.locator("main h1, main h2").first()).toBeVisible();
  }
  // The landing page's dormparty card opens dormparty in a document that may use the camera.
  await page.goto("/");
  await page.locator('a.space-card[href="/dormparty"]').click();
  await page.waitForURL("**/dormparty");
  const allowed = await page.evaluate<boolean>(
    'document.featurePolicy ? document.featurePolicy.allowsFeature("camera") : true',
  );
  expect(allowed).toBe(true);
  expect(violations).toEqual([]);
});
