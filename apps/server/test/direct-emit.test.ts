/**
 * direct-emit.ts against the installed Socket.IO / Engine.IO: the frame it writes is byte for byte
 * the one `socket.emit` writes for the same event, a real client receives it as that event, and
 * sockets it does not recognize get no emitter (the gateway then uses `socket.emit`), nor do
 * sockets of a server configured with another parser (its frames are not ours).
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket as ServerSocket } from "socket.io";
import { io as connect, type Socket } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { directEmitter, encoderMismatch, eventFrame } from "../src/direct-emit";
import { CustomParser, closeAfterEach } from "./fixtures/transport";

const closers = closeAfterEach();

async function pair(
  namespace = "/",
  parser?: typeof CustomParser,
): Promise<{ server: ServerSocket; client: Socket }> {
  const http = createServer();
  const io = new Server(http, { transports: ["websocket"], ...(parser ? { parser } : {}) });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  closers.push(() => new Promise<void>((r) => io.close(() => r())));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}${namespace}`;
  const serverSide = once(io.of(namespace), "connection") as Promise<[ServerSocket]>;
  const client = connect(url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    ...(parser ? { parser } : {}),
  });
  closers.push(() => void client.close());
  const [server] = await serverSide;
  if (!client.connected) await new Promise<void>((r) => client.once("connect", () => r()));
  return { server, client };
}

/** Records every string the server socket's Engine.IO connection is asked to write. */
function recordWrites(server: ServerSocket): string[] {
  const conn = server.conn as unknown as { write: (data: unknown, ...rest: unknown[]) => unknown };
  const original = conn.write.bind(conn);
  const written: string[] = [];
  conn.write = (data: unknown, ...rest: unknown[]) => {
    if (typeof data === "string") written.push(data);
    return original(data, ...rest);
  };
  return written;
}

const PAYLOADS: Array<[string, unknown]> = [
  ["state", { state: "IDLE" }],
  [
    "state",
    {
      state: "MATCHED",
      space: "stimchat",
      sessionId: "tQrJZWSCDxn-8iBG-0ecYA",
      partner: { sharedTopics: ["music", "cant sleep"] },
      enterWithinMs: 14999,
    },
  ],
  [
    "message",
    {
      sessionId: "s",
      id: "m",
      from: "you",
      text: 'quotes " \\ and </script> and ünïcødé 🙂 and \u2028',
      at: 1795488381237,
    },
  ],
  ["typing", { sessionId: "s", note: undefined }],
  [
    "presence",
    {
      spaces: [
        { id: "menti", here: "a few" },
        { id: "stimchat", here: 40 },
      ],
    },
  ],
];

describe("direct emit", () => {
  it("writes the frame socket.emit writes, and the client receives the same events", async () => {
    const { server, client } = await pair();
    const emit = directEmitter(server);
    expect(emit).toBeTypeOf("function");
    const written = recordWrites(server);
    const received: Array<[string, unknown]> = [];
    const all = new Promise<void>((resolve) => {
      client.onAny((event: string, payload: unknown) => {
        received.push([event, payload]);
        if (received.length === PAYLOADS.length * 2) resolve();
      });
    });
    for (const [event, payload] of PAYLOADS) {
      (server as unknown as { emit(e: string, p: unknown): void }).emit(event, payload);
      emit?.(event, payload);
    }
    await all;
    expect(written).toHaveLength(PAYLOADS.length * 2);
    for (let i = 0; i < PAYLOADS.length; i++) {
      const [event, payload] = PAYLOADS[i] as [string, unknown];
      // Socket.IO's own frame first, ours second: identical.
      expect(written[2 * i + 1]).toBe(written[2 * i]);
      expect(written[2 * i]).toBe(eventFrame(event, payload));
      const plain = JSON.parse(JSON.stringify(payload)) as unknown;
      expect(received[2 * i]).toEqual([event, plain]);
      expect(received[2 * i + 1]).toEqual([event, plain]);
    }
  });

  it("writes nothing once the connection is closed, like socket.emit", async () => {
    const { server, client } = await pair();
    const emit = directEmitter(server);
    const written = recordWrites(server);
    const gone = once(server.conn as unknown as NodeJS.EventEmitter, "close");
    client.close();
    await gone;
    expect(() => emit?.("state", { state: "IDLE" })).not.toThrow();
    (server as unknown as { emit(e: string, p: unknown): void }).emit("state", { state: "IDLE" });
    expect(written).toEqual([]);
  });

  it("gives no emitter for another namespace or an unknown shape", async () => {
    const { server } = await pair("/other");
    expect(directEmitter(server)).toBeUndefined();
    expect(directEmitter(undefined)).toBeUndefined();
    expect(directEmitter({ nsp: { name: "/" } })).toBeUndefined();
    expect(directEmitter({ nsp: { name: "/" }, conn: { write: () => true } })).toBeUndefined();
    const fake = { nsp: { name: "/" }, conn: { readyState: "open", write: () => true } };
    // Without the server's encoder to check, no emitter; with socket.io-parser's, one.
    expect(directEmitter(fake)).toBeUndefined();
    const { server: main } = await pair();
    const withEncoder = {
      ...fake,
      client: { encoder: (main.client as unknown as { encoder: unknown }).encoder },
    };
    expect(directEmitter(withEncoder)).toBeTypeOf("function");
  });

  it("accepts the default parser's encoder and nothing else", () => {
    // socket.io's default (no parser option): socket.io-parser's Encoder, our frames.
    expect(encoderMismatch(new Server().encoder)).toBeUndefined();
    // Another parser's encoder, a subclass, a replacer, or one that frames differently.
    expect(encoderMismatch(new CustomParser.Encoder())).toMatch(/parser/);
    const DefaultEncoder = new Server().encoder.constructor as new (replacer?: unknown) => object;
    class Patched extends DefaultEncoder {}
    expect(encoderMismatch(new Patched())).toMatch(/parser/);
    expect(encoderMismatch(new DefaultEncoder((_k: string, v: unknown) => v))).toMatch(/replacer/);
    const lying = new DefaultEncoder();
    (lying as { encode: (p: unknown) => unknown }).encode = () => ["2[]"];
    expect(encoderMismatch(lying)).toMatch(/other frames/);
    expect(encoderMismatch(undefined)).toBeDefined();
  });

  it("with a custom parser: no direct emitter, and socket.emit still reaches the client", async () => {
    const { server, client } = await pair("/", CustomParser);
    expect(directEmitter(server)).toBeUndefined();
    const got = new Promise<unknown>((resolve) => client.once("state", resolve));
    (server as unknown as { emit(e: string, p: unknown): void }).emit("state", { state: "IDLE" });
    expect(await got).toEqual({ state: "IDLE" });
  });
});
