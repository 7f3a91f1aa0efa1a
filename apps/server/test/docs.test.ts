/**
 * Keeps docs/protocol.md honest: every event, error code and close reason of the shared protocol
 * is documented, and its transition table says what the engine's table says.
 */
import { readFileSync } from "node:fs";
import { decide, GONE, NOOP, type UserEvent } from "@duet/engine";
import {
  CLIENT_EVENTS,
  CLOSE_REASONS,
  ERROR_CODES,
  serverEventSchemas,
  USER_STATES,
} from "@duet/protocol";
import { describe, expect, it } from "vitest";

const doc = readFileSync(new URL("../../../docs/protocol.md", import.meta.url), "utf8");

describe("docs/protocol.md", () => {
  it("names every client event, server event, error code and close reason", () => {
    const names = [
      ...CLIENT_EVENTS,
      ...Object.keys(serverEventSchemas),
      ...ERROR_CODES,
      ...CLOSE_REASONS,
    ];
    const missing = names.filter((n) => !doc.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });

  it("has the engine's transition table for every client event and disconnect", () => {
    const rows = new Map<string, string[]>();
    for (const line of doc.split("\n")) {
      const cells = line.split("|").map((c) => c.trim());
      const head = cells[1]?.replace(/`/g, "");
      // The transition table comes first in the page; later tables mention the events too.
      if (
        head &&
        !rows.has(head) &&
        ([...CLIENT_EVENTS, "disconnect"] as string[]).includes(head)
      ) {
        rows.set(head, cells.slice(2, 7));
      }
    }
    const events = [...CLIENT_EVENTS, "disconnect"] as UserEvent[];
    for (const event of events) {
      const row = rows.get(event);
      expect(row, `row for ${event}`).toBeDefined();
      USER_STATES.forEach((state, i) => {
        const cell = row?.[i] ?? "";
        const rule = decide(state, event);
        const expected =
          rule === NOOP
            ? "no-op"
            : rule === GONE
              ? "gone"
              : typeof rule === "object"
                ? `\`${rule.error}\``
                : rule;
        expect(cell, `${event} in ${state}`).toContain(expected);
      });
    }
  });
});
