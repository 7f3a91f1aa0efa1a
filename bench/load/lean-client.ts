/**
 * The load generator's sockets, all behind one small interface (`Wire`): send an event, receive
 * events, close. Three kinds:
 *
 * - `LeanSocketIo`: Engine.IO v4 / Socket.IO v5 spoken directly over `ws`. The stock
 *   socket.io-client spends more CPU per message than a Socket.IO server does (MACHINE-NOTES:
 *   ≈ 31 µs against ≈ 24 µs), so a generator built on it measures itself, not the server. This
 *   client writes and reads the text frames itself (≈ the cost of a plain ws client):
 *     server "0{sid,pingInterval,…}"  open          → we answer "40" or "40{auth}" (connect to "/")
 *     server "40{sid}"                connected
 *     server "2"                      ping          → we answer "3" (pong)
 *     server "42[event,payload]"      an event
 *     server "43<id>[ack]"            the ack of our "42<id>[event,payload]"
 *     server "41" / "44{…}"           disconnected / connect error
 *   Limits: default namespace only, text packets only (no binary attachments), no reconnection,
 *   no long-polling. That is all Duet's protocol and the reference relays need.
 * - `StockSocketIo`: the real socket.io-client behind the same interface, for the "real-client
 *   check" run (`--client stock`).
 * - `JsonWs`: plain `ws` with JSON `[event, payload]` frames, for the bare ws reference relay.
 */
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";

export type WireEvent = (event: string, payload: unknown) => void;

export interface WireOptions {
  /** http://127.0.0.1:PORT */
  url: string;
  /** A Cookie header (Duet's pass token), if any. */
  cookie?: string;
  /** The Socket.IO handshake's `auth` (Duet: the protocol version), if any. */
  auth?: Record<string, unknown>;
  /** Fails the connect after this long. */
  timeoutMs: number;
  onEvent: WireEvent;
  /** The connection closed (by either side), after it was open. */
  onClose: () => void;
}

export interface Wire {
  /** Sends one event; `ack` (Socket.IO only) receives the server's acknowledgement. */
  emit(event: string, payload: unknown, ack?: (reply: unknown) => void): void;
  /** A clean close: Socket.IO disconnect packet + WebSocket close frame; ws close frame. */
  close(): void;
  readonly open: boolean;
}

export type ClientKind = "lean" | "stock" | "json-ws";

/**
 * Application packets this process's wires carried, for "packets per match": Socket.IO events
 * and acks (Engine.IO pings and pongs are not counted), or ws messages. `in`: server → client.
 * The stock client counts events only (its acks are inside socket.io-client).
 */
export const wirePackets = { in: 0, out: 0 };

export function connectWire(kind: ClientKind, options: WireOptions): Promise<Wire> {
  if (kind === "lean") return LeanSocketIo.connect(options);
  if (kind === "stock") return StockSocketIo.connect(options);
  return JsonWs.connect(options);
}

const wsUrl = (url: string, path: string): string => `${url.replace(/^http/, "ws")}${path}`;

/** Engine.IO v4 / Socket.IO v5 over ws, text frames only. See the header. */
export class LeanSocketIo implements Wire {
  private nextAck = 0;
  private readonly acks = new Map<number, (reply: unknown) => void>();
  open = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: WireOptions,
  ) {}

  static connect(options: WireOptions): Promise<Wire> {
    const ws = new WebSocket(wsUrl(options.url, "/socket.io/?EIO=4&transport=websocket"), {
      headers: options.cookie ? { cookie: options.cookie } : {},
      perMessageDeflate: false,
    });
    const client = new LeanSocketIo(ws, options);
    return new Promise<Wire>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error("connect timed out"));
      }, options.timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      ws.on("error", (err) => {
        if (!client.open) fail(err);
      });
      ws.on("close", () => {
        if (client.open) {
          client.open = false;
          options.onClose();
        } else fail(new Error("closed before connect"));
      });
      ws.on("message", (data: WebSocket.RawData) => {
        const text = data.toString();
        const connected = client.packet(text);
        if (connected) {
          clearTimeout(timer);
          client.open = true;
          resolve(client);
        }
      });
    });
  }

  /** Handles one Engine.IO packet; true when it was the Socket.IO connect confirmation. */
  private packet(text: string): boolean {
    const type = text.charCodeAt(0);
    if (type === 0x34 /* "4" message */) {
      const sio = text.charCodeAt(1);
      if (sio === 0x32 || sio === 0x33) wirePackets.in += 1;
      if (sio === 0x32 /* "2" event */) {
        // "42[...]" from a server never carries an ack id in our protocols.
        const arr = JSON.parse(text.slice(2)) as [string, unknown];
        this.options.onEvent(arr[0], arr[1]);
        return false;
      }
      if (sio === 0x33 /* "3" ack */) {
        const bracket = text.indexOf("[");
        const id = Number(text.slice(2, bracket));
        const cb = this.acks.get(id);
        if (cb) {
          this.acks.delete(id);
          cb((JSON.parse(text.slice(bracket)) as unknown[])[0]);
        }
        return false;
      }
      if (sio === 0x30 /* "0" connect */) return true;
      if (sio === 0x31 /* "1" disconnect */ || sio === 0x34 /* "4" connect error */) {
        this.ws.close();
      }
      return false;
    }
    if (type === 0x32 /* "2" ping */) {
      this.ws.send("3");
      return false;
    }
    if (type === 0x30 /* "0" open */) {
      this.ws.send(this.options.auth ? `40${JSON.stringify(this.options.auth)}` : "40");
      return false;
    }
    if (type === 0x31 /* "1" close */) this.ws.close();
    return false;
  }

  emit(event: string, payload: unknown, ack?: (reply: unknown) => void): void {
    if (!this.open) return;
    wirePackets.out += 1;
    const body = JSON.stringify([event, payload]);
    if (ack) {
      const id = this.nextAck++;
      this.acks.set(id, ack);
      this.ws.send(`42${id}${body}`);
    } else this.ws.send(`42${body}`);
  }

  close(): void {
    if (!this.open) return;
    this.ws.send("41");
    this.ws.close(1000);
  }
}

/** The real socket.io-client behind the same interface ("real-client check"). */
export class StockSocketIo implements Wire {
  private constructor(private readonly socket: Socket) {}

  get open(): boolean {
    return this.socket.connected;
  }

  static connect(options: WireOptions): Promise<Wire> {
    const socket = io(options.url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      timeout: options.timeoutMs,
      ...(options.cookie ? { extraHeaders: { cookie: options.cookie } } : {}),
      ...(options.auth ? { auth: options.auth } : {}),
    });
    socket.onAny((event: string, payload: unknown) => {
      wirePackets.in += 1;
      options.onEvent(event, payload);
    });
    return new Promise<Wire>((resolve, reject) => {
      socket.once("connect", () => {
        socket.once("disconnect", () => options.onClose());
        resolve(new StockSocketIo(socket));
      });
      socket.once("connect_error", (err) => {
        socket.close();
        reject(err);
      });
    });
  }

  emit(event: string, payload: unknown, ack?: (reply: unknown) => void): void {
    wirePackets.out += 1;
    if (ack) this.socket.emit(event, payload, ack);
    else this.socket.emit(event, payload);
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Plain ws, JSON `[event, payload]` frames: the bare ws relay's vocabulary. No acks. */
export class JsonWs implements Wire {
  open = false;

  private constructor(private readonly ws: WebSocket) {}

  static connect(options: WireOptions): Promise<Wire> {
    const ws = new WebSocket(wsUrl(options.url, "/"), { perMessageDeflate: false });
    const client = new JsonWs(ws);
    return new Promise<Wire>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error("connect timed out"));
      }, options.timeoutMs);
      ws.on("open", () => {
        clearTimeout(timer);
        client.open = true;
        resolve(client);
      });
      ws.on("error", (err) => {
        if (!client.open) {
          clearTimeout(timer);
          reject(err);
        }
      });
      ws.on("close", () => {
        if (client.open) {
          client.open = false;
          options.onClose();
        }
      });
      ws.on("message", (data: WebSocket.RawData) => {
        wirePackets.in += 1;
        const arr = JSON.parse(data.toString()) as [string, unknown];
        options.onEvent(arr[0], arr[1]);
      });
    });
  }

  emit(event: string, payload: unknown): void {
    if (!this.open) return;
    wirePackets.out += 1;
    this.ws.send(JSON.stringify([event, payload]));
  }

  close(): void {
    if (this.open) this.ws.close(1000);
  }
}
