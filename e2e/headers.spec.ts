/**
 * Security headers on the built app as served (issue 15): every page, a 404, the health and
 * metrics endpoints carry them; pages get a per-request CSP nonce and every <script> in their HTML
 * carries it; camera and microphone are allowed only on dormparty's pages. A real browser then
 * loads the landing page and dormparty with the policy in force and logs no violation.
 */
import { expect, test } from "./fixtures";

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
