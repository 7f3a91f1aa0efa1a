import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page } from "@playwright/test";

/** Where specs save screenshots of Duet's screens, for people to look at (gitignored). */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, "..", "screenshots");

/**
 * Screenshots are taken when asked for: `E2E_SCREENSHOTS=1 npm run test:e2e -- e2e/screens.spec.ts`
 * (README.md). Nothing checks them — they are for people to look at, and for the
 * README's images — and a full-page capture is CPU work: in screens.spec.ts's walk, about a sixth
 * of its time on this 2-core machine (116 s → 97 s alone, 2026-12-06), where the browser tests are
 * CPU-bound. The checks around each screenshot run either way.
 */
export const SCREENSHOTS_WANTED = process.env.E2E_SCREENSHOTS === "1";

/**
 * Saves a full-page screenshot to e2e/screenshots/<name>.png and returns its path, when
 * screenshots are wanted (above); otherwise returns undefined. `name` is a plain file name
 * (letters, digits, '.', '_', '-'), e.g. "home", "chat-active", checked either way.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(`saveScreenshot: invalid name ${JSON.stringify(name)}`);
  }
  if (!SCREENSHOTS_WANTED) return undefined;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
  return file;
}
