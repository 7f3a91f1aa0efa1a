/**
 * Process signals → graceful shutdown. Kept apart from main.ts so the integration tests can run a
 * bare server with the very same handling and send it a real SIGTERM.
 */
import type { Logger } from "./logger";

export function onShutdownSignals(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}

export interface FatalErrorOptions {
  readonly logger: Pick<Logger, "error">;
  /**
   * Tells clients "the server is restarting" and closes what it can (the same shutdown as a
   * signal's). Given at most `graceMs`; the process exits 1 then, finished or not.
   */
  readonly stop: () => Promise<void>;
  /** How long the shutdown may take before the process exits anyway. */
  readonly graceMs: number;
  /** For tests; process.exit otherwise. */
  readonly exit?: (code: number) => void;
}

/**
 * An uncaught exception or unhandled rejection leaves the process in an unknown state: log one
 * fatal line, give the shutdown a short bounded grace (clients are told "the server is
 * restarting" first thing), then exit 1 so a supervisor (systemd, Docker, Kubernetes) restarts
 * it. Without this, Next.js's own handlers log the error and keep a broken process running.
 *
 * Re-entry: a second fatal error while shutting down is logged and changes nothing. A hard timer
 * (`graceMs`, not unref'd) exits even when the shutdown hangs. Returns a function that removes
 * the handlers (tests).
 */
export function onFatalErrors(options: FatalErrorOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let crashing = false;
  const crash = (kind: "uncaughtException" | "unhandledRejection", error: unknown): void => {
    const err = error instanceof Error ? error : new Error(String(error));
    if (crashing) {
      options.logger.error({ kind, err }, "another fatal error during the crash shutdown");
      return;
    }
    crashing = true;
    options.logger.error(
      { kind, err },
      `${kind}: telling clients the server is restarting, then exiting with code 1`,
    );
    let exited = false;
    const exitOnce = (): void => {
      if (exited) return;
      exited = true;
      clearTimeout(hard);
      exit(1);
    };
    const hard = setTimeout(exitOnce, options.graceMs);
    let stopping: Promise<void>;
    try {
      stopping = options.stop();
    } catch (stopErr) {
      stopping = Promise.reject(stopErr);
    }
    stopping.then(exitOnce, (stopErr: unknown) => {
      options.logger.error({ err: stopErr }, "crash shutdown failed");
      exitOnce();
    });
  };
  const onException = (err: Error): void => crash("uncaughtException", err);
  const onRejection = (reason: unknown): void => crash("unhandledRejection", reason);
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
