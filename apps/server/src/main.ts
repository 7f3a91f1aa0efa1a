/**
 * The Duet process: one HTTP server on one port serving the Next.js web app, the Socket.IO
 * gateway (/socket.io), /healthz and /readyz. Start with `node --import tsx apps/server/src/main.ts`
 * after `npm run build` (npm start does both). Everything but Next.js is in server.ts, which the
 * tests run with a stub web app.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runMain, type WebApp } from "./server";

// Next.js telemetry stays off, however the process is started (docs/configuration.md). Set
// before Next is loaded: hence the dynamic import below, not a static one.
process.env.NEXT_TELEMETRY_DISABLED = "1";
const { default: next } = await import("next");

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../web");

await runMain({
  web: (config): WebApp => {
    const app = next({ dev: false, dir: webDir, hostname: config.host, port: config.port });
    const handle = app.getRequestHandler();
    return {
      rendersPages: true,
      prepare: () => app.prepare(),
      handle: (req, res) => handle(req, res),
      close: () => app.close(),
    };
  },
});
