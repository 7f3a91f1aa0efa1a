/**
 * dormparty video through TURN (issue 5): the app server of the `chromium-turn` project
 * (playwright.config.ts) hands out coturn REST credentials for `turn:127.0.0.1:TURN_PORT` and
 * tells the browsers to use relayed candidates only (ICE_TRANSPORT_POLICY=relay, the default
 * once TURN is configured: issue 15; the project does not set it). This spec
 * starts the coturn itself, inside the test network namespace: with the server's secret, video
 * flows through the relay; with another secret coturn refuses the credentials, nothing
 * connects, and the session closes with media_failed.
 */
import type { Page } from "@playwright/test";
import { TURN_PORT, TURN_SECRET } from "../playwright.config";
import { button, CHAT, expect, expectDormpartyWaiting, openDormparty, test } from "./fixtures";
import { type Coturn, startCoturn } from "./support/coturn";
import {
  ADDRESS_NOTE,
  cameraAsks,
  expectVideoFlows,
  type Hooked,
  ownPreviewWidth,
  pairTwo,
  peerStates,
  recordCameraAsks,
  VIDEO,
  videoUser,
} from "./support/video";

const RELAY_PORTS = { minPort: 49160, maxPort: 49260 } as const;

let coturn: Coturn | null = null;
test.afterEach(async () => {
  await coturn?.stop();
  coturn = null;
});

/** The current peer connection's configuration and candidates, as plain data. */
function iceOf(page: Page) {
  return page.evaluate(async () => {
    const pc = (globalThis as unknown as Hooked).__duetPeer?.current as unknown as {
      getConfiguration(): {
        iceTransportPolicy: string;
        iceServers: { urls: string[]; username?: string; credential?: string }[];
      };
      getStats(): Promise<Map<string, Record<string, unknown>>>;
    } | null;
    if (!pc) return null;
    const config = pc.getConfiguration();
    const stats = await pc.getStats();
    const local: string[] = [];
    let selectedLocal = "";
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((report, id) => {
      byId.set(id, report);
      if (report.type === "local-candidate") local.push(String(report.candidateType));
    });
    stats.forEach((report) => {
      if (report.type === "transport" && typeof report.selectedCandidatePairId === "string") {
        const pair = byId.get(report.selectedCandidatePairId);
        const candidate = byId.get(String(pair?.localCandidateId));
        selectedLocal = String(candidate?.candidateType ?? "");
      }
    });
    return { policy: config.iceTransportPolicy, servers: config.iceServers, local, selectedLocal };
  });
}

test("relay by default: the entry screen says the address stays hidden, and no direct-connection warning", async ({
  newUser,
}) => {
  const user = await videoUser(newUser);
  await recordCameraAsks(user);
  await openDormparty(user.page);
  await expect(user.page.getByText(ADDRESS_NOTE.relay)).toBeVisible();
  await expect(user.page.getByText(ADDRESS_NOTE.direct)).toHaveCount(0);
  // The camera is asked for on Start, with the relay line on screen.
  expect(await cameraAsks(user.page)).toEqual([]);
  await button(user.page, CHAT.dormparty.start).click();
  await expect.poll(() => ownPreviewWidth(user.page)).toBeGreaterThan(0);
  const asks = await cameraAsks(user.page);
  expect(asks.length).toBeGreaterThan(0);
  expect(asks).toEqual(asks.map(() => ({ direct: false, relay: true })));
});

test("with the server's secret, video flows through the TURN relay only, on per-session credentials", async ({
  newUser,
}) => {
  coturn = await startCoturn({ port: TURN_PORT, secret: TURN_SECRET, ...RELAY_PORTS });
  const [a, b] = await pairTwo(newUser);
  for (const user of [a, b]) await expectVideoFlows(user.page);
  const usernames: string[] = [];
  for (const user of [a, b]) {
    const ice = await iceOf(user.page);
    expect(ice?.policy).toBe("relay");
    // Only relayed candidates exist, and the connection runs over one of them.
    expect(ice?.local.length).toBeGreaterThan(0);
    expect(new Set(ice?.local)).toEqual(new Set(["relay"]));
    expect(ice?.selectedLocal).toBe("relay");
    const turn = ice?.servers.find((s) => s.urls.some((u) => u.startsWith("turn:")));
    // coturn's REST scheme: expiry:random, never the long-term secret.
    expect(turn?.username).toMatch(/^\d{10}:[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(ice)).not.toContain(TURN_SECRET);
    usernames.push(turn?.username ?? "");
  }
  // One session, one set of credentials for both of its members.
  expect(usernames[0]).toBe(usernames[1]);
});

test("with a wrong secret coturn refuses the credentials: nothing connects, media_failed, both re-queued", async ({
  newUser,
}) => {
  test.setTimeout(180_000);
  coturn = await startCoturn({
    port: TURN_PORT,
    secret: "not-the-secret-duet-signs-with",
    ...RELAY_PORTS,
  });
  const [a, b] = await pairTwo(newUser, { entered: false });
  // A few seconds in: still no relayed candidate on either side, and not connected.
  await a.page.waitForTimeout(3_000);
  for (const user of [a, b]) {
    const ice = await iceOf(user.page);
    expect(ice?.local ?? []).not.toContain("relay");
    expect(await peerStates(user.page)).not.toContain("connected");
  }
  // The join limit (15 s by default) closes the session; both are told and looking again.
  for (const user of [a, b]) {
    await expect(user.page).toHaveURL(/\/dormparty$/, { timeout: 45_000 });
    await expectDormpartyWaiting(user.page, VIDEO.failed);
    await expect.poll(() => peerStates(user.page)).toEqual(["closed"]);
  }
  // coturn saw the allocations and turned them down (it was asked, it said no).
  expect(coturn.output()).toMatch(/401|Unauthorized|wrong|cannot find credentials/i);
});
