import { expect, type Page } from "@playwright/test";

/** One thing that went wrong in a page: a console.error, an uncaught error, or a crash. */
export interface ConsoleProblem {
  kind: "console.error" | "pageerror" | "crash";
  text: string;
  /** Where it came from (console messages: url:line:column), if known. */
  where?: string;
}

/** An allow-list entry: a substring of the problem's text, or a pattern it must match. */
export type Allowed = string | RegExp;

export interface ConsoleWatcher {
  /** Everything collected so far, allowed or not. */
  problems(): ConsoleProblem[];
  /**
   * Fails the test if any problem was collected that no `allow` entry matches. Nothing is ignored
   * unless listed here, explicitly, by the test.
   */
  expectNone(allow?: readonly Allowed[]): void;
}

function describe(p: ConsoleProblem): string {
  return `${p.kind}: ${p.text}${p.where ? ` (at ${p.where})` : ""}`;
}

function isAllowed(p: ConsoleProblem, allow: readonly Allowed[]): boolean {
  return allow.some((a) => (typeof a === "string" ? p.text.includes(a) : a.test(p.text)));
}

/**
 * Starts collecting the page's console errors, uncaught page errors and crashes. Call it before
 * the page navigates, so nothing is missed.
 */
export function watchConsole(page: Page): ConsoleWatcher {
  const collected: ConsoleProblem[] = [];
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const { url, lineNumber, columnNumber } = msg.location();
    const problem: ConsoleProblem = { kind: "console.error", text: msg.text() };
    if (url) problem.where = `${url}:${lineNumber}:${columnNumber}`;
    collected.push(problem);
  });
  page.on("pageerror", (err) => {
    collected.push({ kind: "pageerror", text: err.stack ?? `${err.name}: ${err.message}` });
  });
  page.on("crash", () => {
    collected.push({ kind: "crash", text: "the page crashed" });
  });
  return {
    problems: () => [...collected],
    expectNone(allow = []) {
      const unexpected = collected.filter((p) => !isAllowed(p, allow)).map(describe);
      expect(unexpected, `unexpected console errors / page errors on ${page.url()}`).toEqual([]);
    },
  };
}
