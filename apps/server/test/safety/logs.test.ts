/**
 * SPEC §5: logs carry no IP addresses, tokens or message text — ever. One whole scenario (earn a
 * token over HTTP, chat in stimchat and menti, report, admin sign-in with a wrong and a right
 * password, ban, unban, dismiss, metrics) runs against a server whose logger is production's pino
 * (with its redaction) at the most verbose level, capturing every line; then none of the secrets
 * of the scenario may appear anywhere in what was logged.
 */
import { Writable } from "node:stream";
import { type Challenge, solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { REDACTED_PATHS } from "../../src/logger";
import { mintToken, startServer, TestClient, until } from "../harness";
import { DATABASES } from "./databases";

const PASSWORD = "correct-horse-battery-staple";

describe.each(DATABASES)(
  "logs contain no IP address, token, cookie, password, note or message text ($name)",
  (database) => {
    it("a full scenario: token, chat, report, admin, ban", async () => {
      const db = await database.open();
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const logger = pino(
        { level: "trace", redact: { paths: REDACTED_PATHS, remove: true } },
        sink,
      );
      const server = await startServer(
        {
          ADMIN_PASSWORD: PASSWORD,
          METRICS_TOKEN: "metrics-token-0123456789",
          POW_MAX_NUMBER: "2000",
        },
        { logger, repo: db.repo },
      );
      const secrets: string[] = [PASSWORD, "127.0.0.1", "::ffff:", "metrics-token-0123456789"];
      const clients: TestClient[] = [];
      try {
        // A token earned the real way: challenge, proof of work, Set-Cookie.
        const challenge = (await (
          await fetch(`${server.url}/api/token/challenge`)
        ).json()) as Challenge;
        const solution = await solveChallenge({ challenge, deriveKey });
        const issued = await fetch(`${server.url}/api/token`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            payload: Buffer.from(JSON.stringify({ challenge, solution })).toString("base64"),
          }),
        });
        expect(issued.status).toBe(204);
        const setCookie = issued.headers.get("set-cookie") ?? "";
        const earned = setCookie.split(";")[0] ?? "";
        if (earned) secrets.push(earned.split("=")[1] ?? "");

        const a = mintToken(server);
        const b = mintToken(server);
        secrets.push(a.id, b.id, a.cookie.split("=")[1] ?? "", b.cookie.split("=")[1] ?? "");
        const alice = await TestClient.connect(server, { extraHeaders: { cookie: a.cookie } });
        const bob = await TestClient.connect(server, { extraHeaders: { cookie: b.cookie } });
        clients.push(alice, bob);
        await alice.emit("join", { space: "stimchat" });
        await bob.emit("join", { space: "stimchat" });
        await alice.waitState((s) => s.state === "MATCHED");
        await bob.waitState((s) => s.state === "MATCHED");
        await alice.emit("enter", { sessionId: alice.sessionId() });
        await bob.emit("enter", { sessionId: bob.sessionId() });
        await alice.waitState((s) => s.state === "ACTIVE");
        const said = ["zebra-quartz-message-one", "violet-nimbus-message-two"];
        secrets.push(...said);
        await alice.emit("send", { text: said[0] as string });
        await bob.emit("send", { text: said[1] as string });
        await until(() => alice.messages.length === 2);
        // A flood, so rate-limit refusals are logged if anything logs them.
        await Promise.all(
          Array.from({ length: 12 }, () => bob.emit("send", { text: "flood-text-xyz" })),
        );
        secrets.push("flood-text-xyz");
        const note = "saffron-lantern-report-note";
        secrets.push(note);
        expect(await alice.emit("report", { reason: "harassment", note })).toEqual({ ok: true });
        await bob.waitState((s) => s.state === "ENDED");

        // menti, identity-free, with its own words.
        const m1 = await TestClient.connect(server);
        const m2 = await TestClient.connect(server);
        clients.push(m1, m2);
        await m1.join("talk");
        await m2.join("listen");
        await m1.waitState((s) => s.state === "MATCHED");
        await m1.emit("enter", { sessionId: m1.sessionId() });
        await m2.emit("enter", { sessionId: m2.sessionId() });
        await m1.waitState((s) => s.state === "ACTIVE");
        await m1.emit("send", { text: "menti-private-words" });
        secrets.push("menti-private-words");
        await until(() => m2.messages.length === 1);
        await m1.emit("exit", {});

        // Admin: a wrong password, the right one, the queue, ban, bans, unban.
        const post = (path: string, body: unknown, cookie?: string) =>
          fetch(`${server.url}${path}`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-duet-admin": "1",
              ...(cookie ? { cookie } : {}),
            },
            body: JSON.stringify(body),
          });
        secrets.push("wrong-password-guess");
        expect((await post("/api/admin/login", { password: "wrong-password-guess" })).status).toBe(
          401,
        );
        const login = await post("/api/admin/login", { password: PASSWORD });
        expect(login.status).toBe(200);
        const session = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
        secrets.push(session.split("=")[1] ?? "");
        const reports = (await (
          await fetch(`${server.url}/api/admin/reports?status=open`, {
            headers: { cookie: session },
          })
        ).json()) as { reports: Array<{ id: string; reportedRef: string }> };
        const report = reports.reports[0];
        expect(report).toBeDefined();
        const banned = await post(
          `/api/admin/reports/${report?.id}/ban`,
          { duration: "7d", note: "moderator-private-note" },
          session,
        );
        secrets.push("moderator-private-note");
        expect(banned.status).toBe(200);
        await until(() => bob.identities.at(-1)?.status === "banned");
        const unban = await post(`/api/admin/bans/${report?.reportedRef}/unban`, {}, session);
        expect(unban.status).toBe(200);
        const metrics = await fetch(`${server.url}/metrics`, {
          headers: { authorization: "Bearer metrics-token-0123456789" },
        });
        expect(metrics.status).toBe(200);
      } finally {
        for (const c of clients) c.close();
        await server.close();
        await db.stop();
      }
      const log = lines.join("");
      // The scenario did log (so the assertion below is about real lines).
      expect(log).toContain("report filed");
      expect(lines.length).toBeGreaterThan(5);
      const leaked = secrets.filter((s) => s.length > 0 && log.includes(s));
      expect(leaked).toEqual([]);
    }, 300_000);
  },
);
