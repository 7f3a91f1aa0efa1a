/**
 * What every AdminSessionStore (src/admin/sessions.ts) must do: a moderator's session is live on
 * every node until signed out, idle for `idleMs`, or `maxAgeMs` old; an unknown or tampered id
 * is never live.
 */
import { describe, expect, it } from "vitest";
import type { AdminSessionStore } from "../../src/admin/sessions";

export type AdminSessionsFactory = (limits: {
  maxAgeMs: number;
  idleMs: number;
}) => Promise<[AdminSessionStore, AdminSessionStore]>;

export function adminSessionsContract(name: string, make: AdminSessionsFactory): void {
  describe(`AdminSessionStore contract: ${name}`, () => {
    it("a new session is live on every node; unknown and altered ids never are", async () => {
      const [here, there] = await make({ maxAgeMs: 60_000, idleMs: 10_000 });
      const id = await here.create(0);
      expect(id.length).toBeGreaterThanOrEqual(32);
      expect(await here.touch(id, 1)).toBe(true);
      expect(await there.touch(id, 2)).toBe(true);
      expect(await there.touch(undefined, 3)).toBe(false);
      expect(await there.touch(`${id}x`, 3)).toBe(false);
      expect(await here.touch("not-a-session", 3)).toBe(false);
      expect(await here.create(4)).not.toBe(id);
    });

    it("signing out on one node ends it everywhere", async () => {
      const [here, there] = await make({ maxAgeMs: 60_000, idleMs: 10_000 });
      const id = await here.create(0);
      await there.end(id);
      expect(await here.touch(id, 1)).toBe(false);
      await there.end(id);
      await there.end(undefined);
    });

    it("idle for idleMs ends it; each touch restarts the idle time", async () => {
      const [here, there] = await make({ maxAgeMs: 60_000, idleMs: 10_000 });
      const id = await here.create(0);
      expect(await there.touch(id, 9_000)).toBe(true);
      expect(await here.touch(id, 18_000)).toBe(true);
      expect(await here.touch(id, 28_000)).toBe(false);
      expect(await there.touch(id, 28_001)).toBe(false);
    });

    it("maxAgeMs after sign-in it ends, however busy", async () => {
      const [here] = await make({ maxAgeMs: 30_000, idleMs: 10_000 });
      const id = await here.create(0);
      for (let t = 5_000; t < 30_000; t += 5_000) expect(await here.touch(id, t)).toBe(true);
      expect(await here.touch(id, 30_000)).toBe(false);
      expect(here.maxAgeMs).toBe(30_000);
    });
  });
}
