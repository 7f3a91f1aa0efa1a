import type { Page } from "@playwright/test";
import { expect } from "@playwright/test";

/**
 * Overlap and reach measurements of a room's parts (issue 16, WCAG 1.4.10 reflow), which axe
 * cannot see: the page's footer, header, the message log, the message box and Send, and every
 * control of the room (Report, Exit / Leave chat / Skip / End, Mute, the camera, the call).
 */

/** The sizes every room is measured at (CSS pixels; zoom shrinks the viewport the same way). */
export const ROOM_SIZES = [
  { name: "desktop 1280×800", width: 1280, height: 800 },
  { name: "phone 390×844", width: 390, height: 844 },
  { name: "phone with its keyboard open 390×470", width: 390, height: 470 },
  { name: "1280×800 at 200 % zoom (640×400)", width: 640, height: 400 },
  { name: "1280×800 at 400 % zoom (320×200)", width: 320, height: 200 },
  { name: "320 px wide 320×568", width: 320, height: 568 },
] as const;

/**
 * Under this height a room cannot be one screen tall and the page scrolls as a whole
 * (globals.css: `@media (min-height: 25rem)`); from it on, everything must be on screen at once.
 */
export const ONE_SCREEN_FROM_HEIGHT = 400;

/** The parts measured, by CSS selector, with the name a failure message uses. */
const PARTS: readonly { name: string; selector: string }[] = [
  { name: "header", selector: ".site-header" },
  { name: "footer", selector: ".site-footer" },
  { name: "log", selector: "[role=log]" },
  { name: "message box", selector: "#message" },
  { name: "Send", selector: ".composer-send" },
  { name: "room control", selector: ".room-actions button" },
  { name: "call control", selector: ".video-controls button" },
  { name: "call", selector: ".video-stage" },
  { name: "own preview", selector: ".video-self" },
  { name: "ended action", selector: ".ended .actions > *" },
];

/** Parts a person must reach: each must show where it is, not covered by anything else. */
const MUST_REACH = new Set([
  "log",
  "message box",
  "Send",
  "room control",
  "call control",
  "ended action",
]);
/** Parts that must all be on screen at once when the room is one screen tall. */
const ON_SCREEN = new Set(["message box", "Send", "room control", "call control"]);

interface Box {
  name: string;
  index: number;
  /** Positions (in the boxes list) of the measured parts this one sits inside. */
  inside: number[];
  /** Document coordinates. */
  left: number;
  top: number;
  right: number;
  bottom: number;
}

interface Measured {
  boxes: Box[];
  viewport: { width: number; height: number };
  scrollWidth: number;
  scrollHeight: number;
  /** Parts whose centre, hit-tested where they are now (viewport), is something else. */
  covered: string[];
  /** Parts partly outside the viewport as the page stands now (no scrolling). */
  offScreen: string[];
}

/** Runs in the page (as a string: the specs compile without the DOM library). */
const MEASURE = `(parts) => {
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && !el.closest(".visually-hidden");
  };
  const found = [];
  for (const part of parts) {
    document.querySelectorAll(part.selector).forEach((el, index) => {
      if (visible(el)) found.push({ part, el, index });
    });
  }
  const boxes = found.map(({ part, el, index }) => {
    const r = el.getBoundingClientRect();
    const inside = [];
    found.forEach((other, i) => { if (other.el !== el && other.el.contains(el)) inside.push(i); });
    return { name: part.name, index, inside, left: r.left + scrollX, top: r.top + scrollY,
      right: r.right + scrollX, bottom: r.bottom + scrollY, el };
  });
  const hit = (el) => {
    const r = el.getBoundingClientRect();
    const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
    const at = document.elementFromPoint(x, y);
    return at !== null && (at === el || el.contains(at));
  };
  const inView = (el) => {
    const r = el.getBoundingClientRect();
    return r.left >= -0.5 && r.top >= -0.5 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5;
  };
  return {
    boxes: boxes.map(({ el, ...box }) => box),
    viewport: { width: innerWidth, height: innerHeight },
    scrollWidth: document.documentElement.scrollWidth,
    scrollHeight: document.documentElement.scrollHeight,
    covered: boxes.filter((b) => inView(b.el) && !hit(b.el)).map((b) => b.name + " " + b.index),
    offScreen: boxes.filter((b) => !inView(b.el)).map((b) => b.name + " " + b.index),
  };
}`;

function measure(page: Page): Promise<Measured> {
  return page.evaluate(`(${MEASURE})(${JSON.stringify(PARTS)})`) as Promise<Measured>;
}

/** Pairs of boxes that share more than a hair of area (nested parts never count). */
function overlaps(boxes: readonly Box[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i] as Box;
      const b = boxes[j] as Box;
      if (a.inside.includes(j) || b.inside.includes(i)) continue;
      const width = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const height = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (width > 1 && height > 1) {
        found.push(
          `${a.name} ${a.index} × ${b.name} ${b.index} (${Math.round(width)}×${Math.round(height)} px)`,
        );
      }
    }
  }
  return found;
}

/** Lets a resize or theme change settle: two animation frames. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(
    "new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(null))))",
  );
}

/** What a screen must show, and whether it is a room (one screen tall when there is height). */
export interface LayoutExpectation {
  /** Parts (PARTS names) that must be visible at every size. */
  required: readonly string[];
  /** A room in use: from ONE_SCREEN_FROM_HEIGHT on, no page scroll and its controls on screen. */
  oneScreen: boolean;
}

export const ACTIVE_ROOM: LayoutExpectation = {
  required: ["log", "message box", "Send", "room control"],
  oneScreen: true,
};
export const VIDEO_ROOM: LayoutExpectation = {
  required: [...ACTIVE_ROOM.required, "call", "call control"],
  oneScreen: true,
};
export const ENDED_WITH_CONVERSATION: LayoutExpectation = {
  required: ["log", "ended action"],
  oneScreen: false,
};

/** What is wrong with the page as it is now, as lines (empty: nothing). */
export async function layoutProblems(page: Page, expected: LayoutExpectation): Promise<string[]> {
  await settle(page);
  const m = await measure(page);
  const problems: string[] = [];
  const names = new Set(m.boxes.map((b) => b.name));
  for (const required of expected.required) {
    if (!names.has(required)) problems.push(`no visible ${required}`);
  }
  for (const pair of overlaps(m.boxes)) problems.push(`overlap: ${pair}`);
  if (m.scrollWidth > m.viewport.width + 1) {
    problems.push(`scrolls sideways: ${m.scrollWidth} px wide in ${m.viewport.width}`);
  }
  for (const part of m.covered) {
    if (MUST_REACH.has(part.replace(/ \d+$/, ""))) problems.push(`covered where it is: ${part}`);
  }
  if (expected.oneScreen && m.viewport.height >= ONE_SCREEN_FROM_HEIGHT) {
    if (m.scrollHeight > m.viewport.height + 1) {
      problems.push(`not one screen: ${m.scrollHeight} px tall in ${m.viewport.height}`);
    }
    for (const part of m.offScreen) {
      if (ON_SCREEN.has(part.replace(/ \d+$/, ""))) problems.push(`off screen: ${part}`);
    }
  } else {
    // The page scrolls: every part a person must reach can be scrolled to and is then uncovered.
    for (const box of m.boxes) {
      if (!MUST_REACH.has(box.name)) continue;
      const label = `${box.name} ${box.index}`;
      // Already fully in view and uncovered (checked above): nothing to scroll to.
      if (!m.offScreen.includes(label)) continue;
      const selector = PARTS.find((p) => p.name === box.name)?.selector as string;
      await page.locator(selector).nth(box.index).scrollIntoViewIfNeeded();
      await settle(page);
      const again = await measure(page);
      if (again.covered.includes(label)) problems.push(`covered once scrolled to: ${label}`);
      if (again.offScreen.includes(label) && box.name !== "log") {
        problems.push(`cannot be scrolled fully into view: ${label}`);
      }
    }
  }
  return problems;
}

/**
 * Measures the page at every size of ROOM_SIZES (light) and at the first two (dark) and fails with every
 * problem found (overlaps, sideways scroll, covered or unreachable parts), named by size.
 */
export async function expectLayoutHolds(
  page: Page,
  screen: string,
  expected: LayoutExpectation,
): Promise<void> {
  const all: string[] = [];
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // The themes differ in colour only, never in size: the dark one at the desktop and the
    // phone is enough to catch a rule that would make it differ.
    const sizes = scheme === "light" ? ROOM_SIZES : ROOM_SIZES.slice(0, 2);
    for (const size of sizes) {
      await page.setViewportSize({ width: size.width, height: size.height });
      for (const problem of await layoutProblems(page, expected)) {
        all.push(`${screen}, ${size.name}, ${scheme}: ${problem}`);
      }
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  expect(all, `layout problems on "${screen}"`).toEqual([]);
}
