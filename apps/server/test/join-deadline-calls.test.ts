/**
 * A session's join deadline costs one schedule and one cancel: cancelled once when the session
 * goes ACTIVE (not once per participant's view, not again at its close), and cancelled at the close
 * of a session that never started. With a remote queue (cluster mode) each is a Redis call.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LocalDeadlineQueue } from "../src/gateway/deadlines";
import { TimerScheduler } from "../src/scheduler";
import {
  TestClient as Client,
  meetAndEnter,
  startServer,
  type TestClient,
  type TestServer,
  until,
} from "./harness";

class CountingQueue extends LocalDeadlineQueue {
  readonly scheduled: string[] = [];
  readonly cancelled: string[] = [];
  private inSchedule = false;
  override schedule(...args: Parameters<LocalDeadlineQueue["schedule"]>): void {
    if (args[1]) this.scheduled.push(args[1]);
    // The local queue replaces a keyed deadline by cancelling it first: not a caller's cancel.
    this.inSchedule = true;
    try {
      super.schedule(...args);
    } finally {
      this.inSchedule = false;
    }
  }
  override cancel(key: string): void {
    if (!this.inSchedule) this.cancelled.push(key);
    super.cancel(key);
  }
}

let server: TestServer | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

describe("join deadline calls", () => {
  it("an entered session: one schedule, one cancel at ACTIVE, none at its close", async () => {
    const deadlines = new CountingQueue(new TimerScheduler());
    server = await startServer({}, { seams: { deadlines } });
    const a = await Client.connect(server);
    const b = await Client.connect(server);
    clients.push(a, b);
    await meetAndEnter(
      a,
      b,
      { space: "menti", intent: "talk" },
      { space: "menti", intent: "listen" },
    );
    const key = deadlines.scheduled.find((k) => k.startsWith("join:"));
    expect(key).toBeDefined();
    expect(deadlines.cancelled).toEqual([key]);
    expect(await a.emit("exit", {})).toEqual({ ok: true });
    await until(() => b.states.at(-1)?.state === "ENDED", 20_000, "partner told");
    expect(deadlines.cancelled).toEqual([key]);
  });

  it("a session closed before both entered: its deadline cancelled at the close", async () => {
    const deadlines = new CountingQueue(new TimerScheduler());
    server = await startServer({}, { seams: { deadlines } });
    const a = await Client.connect(server);
    const b = await Client.connect(server);
    clients.push(a, b);
    expect(await a.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
    expect(await b.emit("join", { space: "menti", intent: "listen" })).toEqual({ ok: true });
    await until(() => a.states.at(-1)?.state === "MATCHED", 20_000, "matched");
    expect(await a.emit("exit", {})).toEqual({ ok: true });
    await until(() => b.states.at(-1)?.state === "ENDED", 20_000, "partner told");
    const key = deadlines.scheduled.find((k) => k.startsWith("join:"));
    expect(deadlines.cancelled).toEqual([key]);
  });
});
