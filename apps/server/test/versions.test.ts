/**
 * View versions on the wire (docs/protocol.md, "Versions"): every `state` carries the version of
 * the record it was computed from, growing with each change, so a client can drop a stale view.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activePair, startServer, type TestServer } from "./harness";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
}, 180_000);
afterAll(async () => {
  await server?.close();
});

describe("state versions", () => {
  it("every view carries a version, and each change of a person's state has a higher one", async () => {
    const [a, b] = await activePair(server);
    for (const client of [a, b]) {
      const states = client.states.map((s) => s.state);
      expect(states[0]).toBe("IDLE");
      expect(states.at(-1)).toBe("ACTIVE");
      expect(states.length).toBeGreaterThanOrEqual(3);
      const versions = client.versions;
      expect(versions.every((v) => typeof v === "number")).toBe(true);
      for (let i = 1; i < versions.length; i++) {
        expect(versions[i] as number).toBeGreaterThan(versions[i - 1] as number);
      }
    }
    a.close();
    b.close();
  });
});
