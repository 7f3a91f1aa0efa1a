import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";

/** The WCAG 2.1 A and AA rules: the accessibility bar every screen of Duet must meet. */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/**
 * Runs axe-core on the page as it is now and fails the test if anything violates WCAG 2.1 A/AA,
 * listing each violation's id, impact, help text and the selectors of the offending elements.
 * The full axe results are attached to the test as `axe-<screenName>.json`.
 */
export async function expectNoAxeViolations(page: Page, screenName: string): Promise<void> {
  // Legacy mode: axe.run in the page itself. The default (runPartial, then finishRun) opens a
  // new blank page in the context for every analysis and evaluates axe's 580 KB source twice:
  // a renderer process started and torn down per screen. Measured on screens.spec.ts (48 runs,
  // otherwise idle machine): 82 s of axe → 40 s, Chromium's CPU time −24 %. What legacy mode
  // gives up is testing cross-origin iframes: Duet's pages have no iframes, and their CSP
  // (default-src 'self') would not load a cross-origin one.
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();
  await test.info().attach(`axe-${screenName}.json`, {
    body: JSON.stringify(results, null, 2),
    contentType: "application/json",
  });
  const violations = results.violations.map((v) => {
    const targets = v.nodes.map((n) => n.target.map((t) => String(t)).join(" >> "));
    return `${v.id} (${v.impact ?? "unknown impact"}): ${v.help} [${v.helpUrl}]\n    on: ${targets.join(" | ")}`;
  });
  expect(
    violations,
    `axe found ${violations.length} WCAG 2.1 A/AA violation(s) on screen "${screenName}" (${page.url()})`,
  ).toEqual([]);
}
