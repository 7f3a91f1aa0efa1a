/**
 * The Duet process: one HTTP server on one port serving the Next.js web app, the Socket.IO
 * gateway (/socket.io), /healthz and /readyz. Start with `node --import tsx apps/server/src/main.ts`
 * after `npm run build` (npm start does both).
 */
import { createServer } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import pino from "pino";
import { createDuet, type Duet } from "./app";
import { ConfigError, loadConfig } from "./config";
import { onShutdownSignals } from "./lifecycle";
import { REDACTED_PATHS } from "./logger";

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../web");

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
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

  let ready = false;
  const web = next({ dev: false, dir: webDir, hostname: config.host, port: config.port });
  const handle = web.getRequestHandler();

  // Set once the database is open; until then only health endpoints and the web app answer.
  let duet: Duet | undefined;
  const server = createServer((req, res) => {
    const path = req.url?.split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path === "/readyz") {
      res
        .writeHead(ready ? 200 : 503, { "content-type": "text/plain" })
        .end(ready ? "ready\n" : "not ready\n");
      return;
    }
    const url = new URL(req.url ?? "/", "http://duet.invalid");
    (duet ? duet.handleHttp(req, res, url) : Promise.resolve(false))
      .then((handled) => (handled ? undefined : handle(req, res)))
      .catch((err: unknown) => {
        logger.error({ err }, "web request failed");
        if (!res.headersSent) res.writeHead(500).end();
      });
  });

  duet = await createDuet(server, config, logger);
  const running = duet;
  await web.prepare();

  await new Promise<void>((resolveListen) => {
    // A large backlog: a burst of thousands of connects would overflow Node's default 511.
    server.listen({ port: config.port, host: config.host, backlog: 4096 }, resolveListen);
  });
  ready = true;
  logger.info({ host: config.host, port: config.port, spaces: config.spaces }, "Duet is listening");

  onShutdownSignals(async (signal) => {
    ready = false;
    logger.info({ signal }, "shutting down: telling everyone, closing sessions");
    await running.close();
    await web.close();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`Duet failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
