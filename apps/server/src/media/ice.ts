/**
 * ICE servers for video sessions (SPEC §7). STUN URLs are passed as they are. TURN credentials
 * follow coturn's REST-API scheme (`use-auth-secret` / `static-auth-secret`): the username is
 * `<expiry unix seconds>:<random>`, the password base64(HMAC-SHA1(secret, username)). coturn
 * recomputes the password from the shared secret and refuses expired usernames, so the browser
 * never holds the long-term secret, and each session gets its own credentials.
 *
 * Limit: coturn checks the expiry on allocation refreshes too, so a call relayed through TURN for
 * longer than the TTL loses its relay; `TURN_CREDENTIAL_TTL_S` should exceed the longest call
 * worth keeping (default 1 h).
 */
import { createHmac, randomBytes } from "node:crypto";
import type { IceServer } from "@duet/protocol";

export interface IceConfig {
  readonly stunUrls: readonly string[];
  readonly turnUrls: readonly string[];
  /** coturn's static-auth-secret; without it TURN URLs are not offered. */
  readonly turnSecret?: string;
  readonly turnTtlS: number;
  /** "relay": browsers use TURN only, so partners never see each other's addresses. */
  readonly transportPolicy: "all" | "relay";
}

export function turnCredentials(
  secret: string,
  ttlS: number,
  nowMs: number,
  random: string = randomBytes(9).toString("base64url"),
): { username: string; credential: string } {
  const expiry = Math.floor(nowMs / 1000) + ttlS;
  const username = `${expiry}:${random}`;
  const credential = createHmac("sha1", secret).update(username).digest("base64");
  return { username, credential };
}

/** What one video session's browsers get: ICE servers (with fresh TURN credentials), policy. */
export function mediaSetupFor(
  config: IceConfig,
  nowMs: number,
): { iceServers: IceServer[]; iceTransportPolicy: "all" | "relay" } {
  return { iceServers: iceServersFor(config, nowMs), iceTransportPolicy: config.transportPolicy };
}

/** The ICE servers one session's browsers get. Empty: host candidates only (a LAN). */
export function iceServersFor(config: IceConfig, nowMs: number): IceServer[] {
  const servers: IceServer[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: [...config.stunUrls] });
  if (config.turnUrls.length > 0 && config.turnSecret) {
    servers.push({
      urls: [...config.turnUrls],
      ...turnCredentials(config.turnSecret, config.turnTtlS, nowMs),
    });
  }
  return servers;
}
