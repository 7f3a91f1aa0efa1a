/**
 * Helpers of the video specs (video.spec.ts, video-turn.spec.ts).
 *
 * The pages read their peer connections through a test hook the web client sets up only when
 * `window.__duetTestHooks` is true before it loads (`videoUser` below): `window.__duetPeer` =
 * { peers, streams, timings, current } (apps/web/components/VideoProvider.tsx).
 */
import type { Page } from "@playwright/test";
import {
  button,
  CHAT,
  expect,
  expectChatRoom,
  expectDormpartyWaiting,
  type NewUserFn,
  type NewUserOptions,
  openDormparty,
  pathOf,
  ROOM_PATH,
  type User,
} from "../fixtures";

export const VIDEO = {
  partner: "Stranger's video",
  own: "Your camera",
  mute: "Mute",
  unmute: "Unmute",
  cameraOff: "Stop video",
  cameraOn: "Start video",
  youAreMuted: "You're muted",
  partnerCameraOff: "Camera off",
  partnerMuted: "Stranger is muted",
  cameraTitle: "Duet needs your camera and microphone for video chat",
  tryAgain: "Try again",
  failed: "The connection failed — finding someone new",
} as const;

/** dormparty's entry-screen lines on how a call connects (apps/web/lib/copy.ts). */
export const ADDRESS_NOTE = {
  /** No TURN relay (ICE_TRANSPORT_POLICY=all): the partner's device can learn the address. */
  direct: "their device can learn your network (IP) address",
  /** ICE_TRANSPORT_POLICY=relay. */
  relay: "the other person's device doesn't learn your network address",
} as const;

/** What the page showed at the moment it asked for the camera and microphone. */
export interface CameraAsk {
  direct: boolean;
  relay: boolean;
}

/**
 * Records, in `window.__duetCameraAsks`, which of the ADDRESS_NOTE lines the page showed at the
 * very moment it called getUserMedia (the browser's permission prompt appears then), then asks as
 * usual. Call before the page loads.
 */
export async function recordCameraAsks(user: User): Promise<void> {
  await user.context.addInitScript({
    content: `
      (() => {
        const notes = ${JSON.stringify(ADDRESS_NOTE)};
        window.__duetCameraAsks = [];
        const devices = navigator.mediaDevices;
        if (!devices) return;
        const original = devices.getUserMedia.bind(devices);
        devices.getUserMedia = (constraints) => {
          const text = document.body ? document.body.innerText : "";
          window.__duetCameraAsks.push({
            direct: text.includes(notes.direct),
            relay: text.includes(notes.relay),
          });
          return original(constraints);
        };
      })();
    `,
  });
}

export function cameraAsks(page: Page): Promise<CameraAsk[]> {
  return page.evaluate(
    () => (globalThis as unknown as { __duetCameraAsks?: CameraAsk[] }).__duetCameraAsks ?? [],
  );
}

/** A user whose pages expose the video test hook. */
export async function videoUser(newUser: NewUserFn, options: NewUserOptions = {}): Promise<User> {
  const user = await newUser(options);
  await user.context.addInitScript({ content: "window.__duetTestHooks = true;" });
  return user;
}

/** The page's hook, typed locally (the specs compile without the DOM library). */
export type Hooked = {
  __duetPeer?: {
    peers: { connectionState: string; getStats(): Promise<Map<string, Record<string, unknown>>> }[];
    streams: { getTracks(): { kind: string; readyState: string }[] }[];
    timings: { sessionId: string; media: number; connected?: number; firstFrame?: number }[];
    current: {
      connectionState: string;
      getStats(): Promise<Map<string, Record<string, unknown>>>;
    } | null;
  };
};

/** Video bytes received so far on the current peer connection (inbound-rtp, video). */
export function inboundVideoBytes(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const pc = (globalThis as unknown as Hooked).__duetPeer?.current;
    if (!pc) return -1;
    const stats = await pc.getStats();
    let bytes = 0;
    stats.forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "video") {
        bytes += Number(report.bytesReceived ?? 0);
      }
    });
    return bytes;
  });
}

/** The partner video's width in pixels (0 until a frame arrived). */
export function partnerVideoWidth(page: Page): Promise<number> {
  return page
    .getByLabel(VIDEO.partner, { exact: true })
    .evaluate((el) => (el as unknown as { videoWidth: number }).videoWidth);
}

/** Each sees the other's video: a decoded frame, and inbound video bytes that keep growing. */
export async function expectVideoFlows(page: Page): Promise<void> {
  await expect.poll(() => partnerVideoWidth(page), { timeout: 30_000 }).toBeGreaterThan(0);
  const before = await inboundVideoBytes(page);
  expect(before).toBeGreaterThan(0);
  await expect.poll(() => inboundVideoBytes(page), { timeout: 30_000 }).toBeGreaterThan(before);
}

/** The readyState ("live" / "ended") of every camera and microphone track the page opened. */
export function trackStates(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    ((globalThis as unknown as Hooked).__duetPeer?.streams ?? []).flatMap((s) =>
      s.getTracks().map((t) => t.readyState),
    ),
  );
}

export function peerStates(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    ((globalThis as unknown as Hooked).__duetPeer?.peers ?? []).map((pc) => pc.connectionState),
  );
}

/** The own camera preview's width in pixels (0 until a frame showed). */
export function ownPreviewWidth(page: Page): Promise<number> {
  return page
    .getByLabel(VIDEO.own, { exact: true })
    .first()
    .evaluate((el) => (el as unknown as { videoWidth: number }).videoWidth);
}

/** A video user who pressed Start: camera on (asked for only then), searching, preview showing. */
export async function waitingUser(newUser: NewUserFn): Promise<User> {
  const user = await videoUser(newUser);
  await openDormparty(user.page);
  await button(user.page, CHAT.dormparty.start).click();
  await expect.poll(() => ownPreviewWidth(user.page)).toBeGreaterThan(0);
  return user;
}

/**
 * Two video users in one room: ACTIVE (both peer connections are up, the side chat open), or
 * with `entered: false` only matched (their media may never connect).
 */
export async function pairTwo(
  newUser: NewUserFn,
  { entered = true }: { entered?: boolean } = {},
): Promise<[User, User]> {
  const first = await waitingUser(newUser);
  await expectDormpartyWaiting(first.page);
  const second = await waitingUser(newUser);
  for (const user of [second, first]) {
    if (entered) await expectChatRoom(user.page);
    else await expect(user.page).toHaveURL(ROOM_PATH);
  }
  expect(pathOf(first.page)).toBe(pathOf(second.page));
  return [first, second];
}
