/**
 * The Duet process, minus Next.js: configuration, the data folder's lock, the HTTP server and its
 * request listener (security headers, bad request targets, health endpoints, Duet's routes, then
 * the web app), the gateway, listening, and the process's signal and crash handling. main.ts
 * calls `runMain` with the Next.js web app; tests call `startDuetProcess` / `runMain` with a stub
 * web app (test/fixtures/process-server.ts), so both run this very code.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { createDuet, type Duet, type DuetDeps } from "./app";
import { type Config, ConfigError, loadConfig } from "./config";
import { dataDirProblem, errorCode, lockDataDir, StartupError } from "./datadir";
import { applySecurityHeaders } from "./headers";
import { onFatalErrors, onShutdownSignals } from "./lifecycle";
import { type Logger, REDACTED_PATHS } from "./logger";
import { setPageFacts } from "./page-facts";

/** What answers the requests Duet's own routes do not (the Next.js app in production). */
export interface WebApp {
  /** Renders pages: responses get the page Content-Security-Policy with a nonce. */
  readonly rendersPages: boolean;
  prepare(): Promise<void>;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

/** A web app that answers 404 to everything (tests, and a server without the web app). */
export const notFoundWebApp: WebApp = {
  rendersPages: false,
  prepare: async () => undefined,
  handle: async (_req, res) => {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
  },
  close: async () => undefined,
};

export interface DuetProcessOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly web?: WebApp;
  readonly deps?: DuetDeps;
}

export interface DuetProcess {
  readonly http: ReturnType<typeof createServer>;
  readonly duet: Duet;
  readonly port: number;
  /** Graceful shutdown: not ready, gateway shutdown, web app closed, data folder unlocked. */
  close(): Promise<void>;
}

/** How long a crash gives the shutdown (telling clients, closing sockets) before exiting 1. */
export const CRASH_GRACE_MS = 2000;

/**
 * Starts everything and listens. Throws StartupError (one line, for the operator) when the data
 * folder or the port cannot be had.
 */
export async function startDuetProcess(options: DuetProcessOptions): Promise<DuetProcess> {
  const { config, logger } = options;
  const web = options.web ?? notFoundWebApp;
  // Only the embedded database lives in DATA_DIR; PostgreSQL arbitrates between processes itself.
  const lock = config.databaseUrl || options.deps?.repo ? undefined : lockDataDir(config.dataDir);
  let ready = false;
  // Set once the database is open; until then only health endpoints and the web app answer.
  let duet: Duet | undefined;

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const pathname = pathOf(req.url);
    // Duet's own answers (health, JSON routes, the 400) are never pages; the web app's may be.
    const own =
      pathname === undefined ||
      pathname === "/healthz" ||
      pathname === "/readyz" ||
      pathname === "/metrics" ||
      pathname.startsWith("/api/");
    const kind =
      !web.rendersPages || own ? "other" : pathname.startsWith("/_next/") ? "asset" : "page";
    applySecurityHeaders(req, res, pathname, { kind });
    const facts = setPageFacts(req, kind === "page" ? pathname : undefined, duet?.pageFacts);
    if (pathname === undefined) {
      badTarget(res, logger);
      return;
    }
    if (pathname === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (pathname === "/readyz") {
      // Cluster mode: not ready while Redis is unreachable (a balancer sends visitors elsewhere).
      const now = ready && (duet?.ready() ?? false);
      res
        .writeHead(now ? 200 : 503, { "content-type": "text/plain" })
        .end(now ? "ready\n" : "not ready\n");
      return;
    }
    const url = new URL(req.url ?? "/", "http://duet.invalid");
    const route = (): Promise<boolean> =>
      duet ? duet.handleHttp(req, res, url) : Promise.resolve(false);
    (facts ? facts.then(route) : route())
      .then((handled) => (handled ? undefined : web.handle(req, res)))
      .catch((err: unknown) => {
        logger.error({ err: errorName(err) }, "web request failed");
        if (!res.headersSent) res.writeHead(500).end();
        else res.end();
      });
  };
  const http = createServer((req, res) => {
    // Nothing thrown while answering may escape: an uncaught exception ends the process.
    try {
      listener(req, res);
    } catch (err) {
      logger.error({ err: errorName(err) }, "request failed");
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    }
  });

  try {
    try {
      duet = await createDuet(http, config, logger, options.deps);
    } catch (err) {
      const problem = dataDirProblem(config.dataDir, err);
      throw problem ? new StartupError(problem) : err;
    }
    await web.prepare();
    await listen(http, config);
  } catch (err) {
    lock?.release();
    await duet?.close().catch(() => undefined);
    throw err;
  }
  ready = true;
  const port = (http.address() as AddressInfo).port;
  const running = duet;
  let closing: Promise<void> | undefined;
  return {
    http,
    duet: running,
    port,
    close() {
      closing ??= (async () => {
        ready = false;
        try {
          await running.close();
          await web.close();
        } finally {
          lock?.release();
        }
      })();
      return closing;
    },
  };
}

/** The request target's path, or undefined when it is not a valid URL (`//a:99999/`, `http://[/`). */
export function pathOf(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  try {
    return new URL(target, "http://duet.invalid").pathname;
  } catch {
    return undefined;
  }
}

/** Answers an invalid request target: 400, one log line, the connection closed. */
function badTarget(res: ServerResponse, logger: Logger): void {
  logger.warn({ area: "http" }, "refused a request with an invalid target (400)");
  res
    .writeHead(400, { "content-type": "text/plain; charset=utf-8", connection: "close" })
    .end("Bad request: invalid request target\n");
}

function listen(http: ReturnType<typeof createServer>, config: Config): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      const code = errorCode(err);
      const where = `${config.host}:${config.port}`;
      if (code === "EADDRINUSE") {
        reject(
          new StartupError(
            `port ${where} is already in use (EADDRINUSE): stop the process listening there or set PORT`,
          ),
        );
      } else if (code === "EACCES" || code === "EPERM") {
        reject(
          new StartupError(`not allowed to listen on ${where} (${code}): use a PORT above 1023`),
        );
      } else if (code === "EADDRNOTAVAIL") {
        reject(
          new StartupError(`HOST ${config.host} is not an address of this machine (EADDRNOTAVAIL)`),
        );
      } else {
        reject(err);
      }
    };
    http.once("error", onError);
    // A large backlog: a burst of thousands of connects would overflow Node's default 511.
    http.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
      http.off("error", onError);
      resolve();
    });
  });
}

export interface MainOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The web app, made once the configuration is known (main.ts: Next.js). */
  readonly web?: (config: Config) => WebApp;
}

/**
 * The whole process: configuration (exit 2 with every problem listed), start (exit 1 with one
 * line naming the cause), then signal handling (graceful, exit 0) and crash handling (exit 1).
 */
export async function runMain(options: MainOptions = {}): Promise<DuetProcess | undefined> {
  let config: Config;
  try {
    config = loadConfig(options.env ?? process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({
    level: config.logLevel,
    // Defence in depth: nothing Duet logs carries these, and if it ever did they are removed.
    redact: { paths: REDACTED_PATHS, remove: true },
  });

  let running: DuetProcess | undefined;
  // From here on, a crash exits 1 (after telling clients, when the gateway is up).
  onFatalErrors({
    logger,
    stop: async () => {
      await running?.close();
    },
    graceMs: CRASH_GRACE_MS,
  });
  try {
    running = await startDuetProcess({
      config,
      logger,
      // Declared dead by the cluster while running: its users are gone from the shared store,
      // so it stops and exits 1 for its supervisor to start it afresh (docs/operations.md).
      deps: {
        onReaped: () => {
          void running
            ?.close()
            .catch(() => undefined)
            .finally(() => process.exit(1));
        },
      },
      ...(options.web ? { web: options.web(config) } : {}),
    });
  } catch (err) {
    process.stderr.write(`Duet failed to start: ${oneLine(err)}\n`);
    process.exit(1);
  }
  const started = running;
  logger.info(
    { host: config.host, port: started.port, spaces: config.spaces },
    "Duet is listening",
  );
  onShutdownSignals(async (signal) => {
    logger.info({ signal }, "shutting down: telling everyone, closing sessions");
    await started.close();
  });
  return started;
}

/** An error as one line: StartupError's message, else name, code and the message's first line. */
function oneLine(err: unknown): string {
  if (err instanceof StartupError) return err.message;
  if (!(err instanceof Error)) return String(err).split("\n")[0] ?? "";
  const code = errorCode(err);
  return `${err.name}${code ? ` (${code})` : ""}: ${err.message.split("\n")[0]}`;
}

/** What a request failure may say in the log: the error's name and code, not its message. */
function errorName(err: unknown): string {
  if (!(err instanceof Error)) return "unknown";
  const code = errorCode(err);
  return code ? `${err.name} (${code})` : err.name;
}
