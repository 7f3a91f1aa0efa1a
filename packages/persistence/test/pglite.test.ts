import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSafetyRepo } from "../src/index";
import { repoContract } from "./repo-contract";

repoContract("PGlite (in memory)", () => openSafetyRepo({ dataDir: ":memory:" }));

describe("PGlite in a data folder", () => {
  it("keeps data across close and reopen; migrations run again as a no-op", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duet-pglite-"));
    try {
      const first = await openSafetyRepo({ dataDir: dir });
      await first.ban({ token: "kept", at: 1, until: null, note: "n" });
      await first.close();
      const second = await openSafetyRepo({ dataDir: dir });
      expect(await second.activeBan("kept", 2)).toMatchObject({ token: "kept", until: null });
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
