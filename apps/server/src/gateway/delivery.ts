/**
 * Delivery: one outgoing event of an engine outcome to its recipient, and the only place that
 * touches the recipient's bookkeeping as it goes: the newest-view check (LatestViews), the
 * connection's screen state and its place in the waiting cap, presence-room membership, and the
 * report buffer's copy of a delivered message. Everything reaches the socket through sockets.ts.
 *
 * Ownership: this runs on the recipient's node. In one process that is always this one; in a
 * cluster the router hands a remote recipient's events to its own node, which delivers them
 * there (docs/architecture.md), so a node never edits another node's bookkeeping.
 */
import type { LatestViews } from "@duet/engine";
import type { StateView } from "@duet/protocol";
import type { CountMap } from "../connection-caps";
import type { PresenceFeed } from "./presence-feed";
import type { ReportBuffers } from "./reports";
import type { Routed } from "./router";
import type { Sockets } from "./sockets";
import type { Conn } from "./types";

export type Deliver = (o: Routed) => void;

export function createDelivery(deps: {
  sockets: Sockets;
  conns: ReadonlyMap<string, Conn>;
  /** Views computed concurrently may finish in either order; only the newest reaches a screen. */
  latest: LatestViews;
  presence: PresenceFeed;
  reports: ReportBuffers;
  /** People waiting per `space|address key` on this node (the waiting cap, admission.ts). */
  waitingByAddress: CountMap;
  /** A connection here now holds its token (connection.ts). */
  tookOver(userId: string): void;
}): Deliver {
  const { sockets, conns, latest, presence, reports, waitingByAddress } = deps;

  /** Keeps a local connection's screen state and its place in the waiting cap up to date. */
  const track = (conn: Conn, view: StateView, partner: Conn["partner"]): void => {
    conn.state = view.state;
    conn.session =
      view.state === "MATCHED" || view.state === "ACTIVE" || view.state === "ENDED"
        ? { space: view.space, sessionId: view.sessionId }
        : undefined;
    conn.partner = view.state === "MATCHED" || view.state === "ACTIVE" ? partner : undefined;
    const key = view.state === "WAITING" ? `${view.space}|${conn.ipHash}` : undefined;
    if (key === conn.waitingKey) return;
    if (conn.waitingKey !== undefined) waitingByAddress.remove(conn.waitingKey);
    if (key !== undefined) waitingByAddress.add(key);
    conn.waitingKey = key;
  };

  return (o) => {
    if (o.event === "media") {
      sockets.emit(o.to, "media", o.payload);
      return;
    }
    if (o.event === "identity") {
      deps.tookOver(o.to);
      return;
    }
    if (!latest.accept(o)) return;
    switch (o.event) {
      case "state": {
        // The version rides along so that the client can drop a stale view too.
        sockets.emit(o.to, "state", { ...o.payload, version: o.version });
        const local = conns.get(o.to);
        if (local) track(local, o.payload, o.partner);
        presence.conversation(o.to, o.payload.state === "MATCHED" || o.payload.state === "ACTIVE");
        return;
      }
      case "message": {
        const local = conns.get(o.to);
        // Only into the conversation this screen shows: a message relayed on the sender's node's
        // copy in the moment a close made elsewhere was on its way (engine `Talk`) is not shown
        // after the ENDED view, nor in a later conversation.
        const open = local?.state === "ACTIVE" || local?.state === "MATCHED";
        if (local && (!open || local.session?.sessionId !== o.payload.sessionId)) return;
        // Protocol 2: the sender's own copy travels only in its `send` ack (held then), never
        // as an event of its own (protocol-version.ts). The report buffer keeps it either way.
        const ownCopyUnasked =
          o.payload.from === "you" && local !== undefined && local.protocol >= 2 && !local.held;
        if (!ownCopyUnasked) sockets.emit(o.to, "message", o.payload);
        reports.delivered(o.to, o.payload, local?.session?.space);
        return;
      }
      case "signal":
        sockets.emit(o.to, "signal", o.payload);
        return;
      case "care":
        sockets.emit(o.to, "care", o.payload);
        return;
      case "typing":
        sockets.emit(o.to, "typing", o.payload);
        return;
    }
  };
}
