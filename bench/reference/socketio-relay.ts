/**
 * The bare Socket.IO floor: a Socket.IO server with Duet's transport settings (heartbeat 5 s /
 * 5 s, 16 KiB packets, no client bundle), FIFO pairing, every `send` forwarded to the partner,
 * the partner told on close. No validation, rooms, acks or state. See vocabulary.ts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { type Member, Pairing } from "./vocabulary";
import type { RunningRelay } from "./ws-relay";

export async function startSocketIoRelay(): Promise<RunningRelay> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const io = new Server(http, {
    maxHttpBufferSize: 16 * 1024,
    pingInterval: 5000,
    pingTimeout: 5000,
    serveClient: false,
  });
  const pairing = new Pairing();
  io.on("connection", (socket) => {
    const me: Member = {
      partner: null,
      sessionId: null,
      waiting: false,
      deliver: (event, payload) => socket.emit(event, payload),
    };
    socket.on("send", (payload: unknown) => me.partner?.deliver("message", payload));
    socket.on("join", () => pairing.join(me));
    socket.on("leave", () => pairing.leave(me));
    socket.on("disconnect", () => pairing.leave(me));
  });
  await new Promise<void>((resolve) =>
    http.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve),
  );
  return {
    port: (http.address() as AddressInfo).port,
    connections: () => io.engine.clientsCount,
    close: () =>
      new Promise<void>((resolve) => {
        io.close(() => resolve());
      }),
  };
}
