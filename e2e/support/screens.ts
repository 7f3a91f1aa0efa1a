import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page } from "@playwright/test";

/** Where specs save screenshots of Duet's screens, for people to look at (gitignored). */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, "..", "screenshots");

/**
 * Saves a full-page screenshot to e2e/screenshots/<name>.png and returns its path.
 * `name` is a plain file name (letters, digits, '.', '_', '-'), e.g. "home", "chat-active".
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(`saveScreenshot: invalid name ${JSON.stringify(name)}`);
  }
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
  return file;
}
