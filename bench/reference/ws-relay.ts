/**
 * The bare `ws` floor: one WebSocketServer, JSON `[event, payload]` frames, FIFO pairing, every
 * `send` forwarded to the partner, the partner told on close. No validation, no heartbeat.
 * See vocabulary.ts for the events.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { type Member, Pairing } from "./vocabulary";

export interface RunningRelay {
  port: number;
  connections(): number;
  /** Duet: the engine's store calls so far, by operation (CountingStore); relays have none. */
  storeCalls?(): Record<string, number>;
  close(): Promise<void>;
}

export async function startWsRelay(): Promise<RunningRelay> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const pairing = new Pairing();
  wss.on("connection", (ws) => {
    const me: Member = {
      partner: null,
      sessionId: null,
      waiting: false,
      deliver: (event, payload) => ws.send(JSON.stringify([event, payload])),
    };
    ws.on("message", (data) => {
      const [event, payload] = JSON.parse(data.toString()) as [string, unknown];
      if (event === "send") me.partner?.deliver("message", payload);
      else if (event === "join") pairing.join(me);
      else if (event === "leave") pairing.leave(me);
    });
    ws.on("close", () => pairing.leave(me));
    ws.on("error", () => {});
  });
  await new Promise<void>((resolve) =>
    http.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve),
  );
  return {
    port: (http.address() as AddressInfo).port,
    connections: () => wss.clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => http.close(() => resolve()));
      }),
  };
}
