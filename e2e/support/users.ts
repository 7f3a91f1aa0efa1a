import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  test as base,
  type Page,
} from "@playwright/test";
import { type Allowed, type ConsoleWatcher, watchConsole } from "./console";

/** One simulated person: their own browser context (own localStorage, so own browser id). */
export interface User {
  context: BrowserContext;
  page: Page;
  /** Console errors / page errors of `page`, collected from the start. */
  console: ConsoleWatcher;
  /** Closes the context (idempotent). */
  close(): Promise<void>;
}

export interface NewUserOptions extends BrowserContextOptions {
  /**
   * Console problems this user is expected to produce; only used by the `newUser` fixture, which
   * fails the test at its end on any other console error or page error.
   */
  allowConsole?: readonly Allowed[];
}

/**
 * Creates an isolated user: a fresh browser context and one page in it. Contexts made from the
 * `browser` fixture do not get the config's `use` options, so the project's baseURL (relative
 * `page.goto("/")` works) and reducedMotion (playwright.config.ts, REDUCED_MOTION) are carried over
 * here; a user's own options win. Call `close()` when done, or use the `newUser` fixture below,
 * which closes every user it made at the end of the test, even a failed one.
 */
export async function newUser(browser: Browser, options: NewUserOptions = {}): Promise<User> {
  const { allowConsole: _allow, ...contextOptions } = options;
  const { baseURL, reducedMotion } = test.info().project.use;
  const context = await browser.newContext({
    ...(baseURL ? { baseURL } : {}),
    ...(reducedMotion ? { reducedMotion } : {}),
    ...contextOptions,
  });
  const page = await context.newPage();
  const watcher = watchConsole(page);
  let closed: Promise<void> | null = null;
  return {
    context,
    page,
    console: watcher,
    close: () => {
      closed ??= context.close();
      return closed;
    },
  };
}

/**
 * `test` with a `newUser` fixture: `const alice = await newUser();`. At the end of the test every
 * user it made is checked for console errors / page errors (except its `allowConsole` entries)
 * and closed, so no leftover connection can meet the next test's users.
 */
export const test = base.extend<{ newUser: (options?: NewUserOptions) => Promise<User> }>({
  newUser: async ({ browser }, use) => {
    const made: { user: User; allow: readonly Allowed[] }[] = [];
    await use(async (options = {}) => {
      const user = await newUser(browser, options);
      made.push({ user, allow: options.allowConsole ?? [] });
      return user;
    });
    try {
      for (const { user, allow } of made) user.console.expectNone(allow);
    } finally {
      await Promise.all(made.map(({ user }) => user.close()));
    }
  },
});

export { expect } from "@playwright/test";
