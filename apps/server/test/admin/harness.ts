/**
 * A real HTTP server on 127.0.0.1 (port 0) serving the handlers under test, a plain request
 * helper that records every response body, a settable clock and a capturing logger.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpHandler } from "../../src/http";
import type { Logger } from "../../src/logger";

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  json<T = unknown>(): T;
}

export interface TestServer {
  readonly host: string;
  readonly bodies: string[];
  call(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<Reply>;
  close(): Promise<void>;
}

export async function serve(handlers: readonly HttpHandler[]): Promise<TestServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    void (async () => {
      for (const handler of handlers) {
        if (await handler(req, res, url)) return;
      }
      res.writeHead(404).end("next");
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const bodies: string[] = [];
  return {
    host: `127.0.0.1:${port}`,
    bodies,
    call: (method, path, options = {}) =>
      new Promise((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port, method, path, headers: options.headers ?? {} },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const body = Buffer.concat(chunks).toString("utf8");
              bodies.push(body);
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body,
                json: <T>() => JSON.parse(body) as T,
              });
            });
          },
        );
        req.on("error", reject);
        req.end(options.body);
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface TestClock {
  now(): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = 1_700_000_000_000): TestClock {
  let now = start;
  return {
    now: () => now,
    set: (ms) => {
      now = ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface CapturingLogger extends Logger {
  readonly lines: string[];
  readonly warnings: string[];
}

export function capturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const warnings: string[] = [];
  const log =
    (level: string) =>
    (obj: object, msg?: string): void => {
      const line = JSON.stringify({ level, ...obj, msg });
      lines.push(line);
      if (level === "warn") warnings.push(line);
    };
  return {
    lines,
    warnings,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
  };
}
