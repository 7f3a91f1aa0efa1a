/**
 * The data folder (DATA_DIR) at start: created if missing, locked for this process, and every
 * failure turned into one line that names the folder and the real cause (issue 15).
 *
 * Why a lock: two processes on one embedded PGlite folder (a start-new-then-stop-old deploy) each
 * keep their own copy of the database in memory and overwrite each other's files, so each sees
 * only its own reports and one side's are lost. The second process must refuse to start. Only the
 * embedded database needs it: with DATABASE_URL, PostgreSQL arbitrates between processes itself.
 *
 * The lock is `DATA_DIR/duet.lock`, created with O_EXCL (`wx`: exactly one creator wins), holding
 * `{ pid, host, since }`. A lock is stale, and taken over, when it names this host and a process
 * id that is not running (or this very process id: a restarted container reuses pid 1). A lock
 * from another host name is never taken over (its process cannot be checked from here): the
 * message says which file to delete once that process is surely gone. Released on shutdown and,
 * as a last resort, when the process exits.
 *
 * Why not proper-lockfile (the well-kept library for this): it proves liveness by touching the
 * lock's mtime every few seconds and declares the lock compromised when the event loop stalls
 * past its `stale` time (a busy server would then have to stop), and after a crash the next
 * process must wait that stale time out. A pid check answers at once, needs no timer, and an
 * embedded database folder is local to one machine anyway.
 *
 * Limit: two processes that both find the same stale lock at the same instant could both take
 * it over; the takeover re-reads the file and only removes it if it is still the stale one, which
 * leaves a window of microseconds, only after a crash.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";

export const LOCK_FILE = "duet.lock";

/** A start-up failure with a one-line, operator-facing message (no stack). */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock if it is still this process's. Idempotent. */
  release(): void;
}

/** Plain words for the file-system errors an operator can fix. */
const CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "it, or a folder on its path, is a file, not a folder",
  ENOENT: "a part of the path does not exist and cannot be created",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the path is too long",
  EMFILE: "too many open files",
  EIO: "input/output error",
};

/** The error's code (`ENOSPC`…), looking through `cause` chains; undefined for other errors. */
export function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** One line for a file-system failure on DATA_DIR, or undefined when `err` is not one. */
export function dataDirProblem(dataDir: string, err: unknown): string | undefined {
  const code = errorCode(err);
  if (code === undefined || !(code in CAUSES)) return undefined;
  return `DATA_DIR ${resolve(dataDir)}: ${CAUSES[code]} (${code}). Fix the folder or set DATA_DIR to a writable folder.`;
}

/**
 * Creates DATA_DIR (and its parents) if missing. Not `mkdirSync(..., { recursive: true })`: on a
 * path that can never be created (e.g. under /proc) Node's recursive mkdir loops forever.
 */
export function ensureDataDir(dataDir: string): void {
  const target = resolve(dataDir);
  const missing: string[] = [];
  for (let dir = target; ; dir = dirname(dir)) {
    const kind = kindOf(dir);
    if (kind === "dir") break;
    if (kind === "other") {
      const err = Object.assign(new Error(`${dir} is not a folder`), {
        code: "ENOTDIR",
      });
      throw new StartupError(dataDirProblem(dataDir, err) ?? err.message);
    }
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  try {
    for (const dir of missing) mkdirSync(dir);
  } catch (err) {
    throw new StartupError(dataDirProblem(dataDir, err) ?? `DATA_DIR ${target}: ${String(err)}`);
  }
}

function kindOf(path: string): "dir" | "other" | "missing" {
  try {
    return statSync(path).isDirectory() ? "dir" : "other";
  } catch (err) {
    const code = errorCode(err);
    if (code === "ENOENT") return "missing";
    if (code === "ENOTDIR") return "other";
    throw new StartupError(dataDirProblem(path, err) ?? `DATA_DIR ${path}: ${String(err)}`);
  }
}

/**
 * Creates DATA_DIR if needed and takes its lock; throws StartupError (one line) when another
 * live process holds it or the folder cannot be used.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  ensureDataDir(dataDir);
  const path = join(resolve(dataDir), LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const text = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      return ownLock(path, text);
    } catch (err) {
      if (errorCode(err) !== "EEXIST") {
        throw new StartupError(
          dataDirProblem(dataDir, err) ?? `DATA_DIR lock ${path}: ${String(err)}`,
        );
      }
    }
    const held = readLock(path);
    if (held === undefined) continue; // removed between our attempt and the read: try again
    const owner = parseOwner(held);
    if (owner && isStale(owner)) {
      // Still the same stale content? Then it is ours to remove (see the limit in the header).
      if (readLock(path) === held) unlinkQuietly(path);
      continue;
    }
    throw new StartupError(
      owner
        ? `DATA_DIR ${resolve(dataDir)} is in use by another Duet process (pid ${owner.pid} on ${owner.host}, since ${owner.since}): two processes on one embedded database lose each other's reports. Stop that one first, give this one its own DATA_DIR, or use DATABASE_URL. If it is surely gone, delete ${path}.`
        : `DATA_DIR ${resolve(dataDir)} is locked by ${path}, which Duet cannot read: if no other Duet process uses this folder, delete it.`,
    );
  }
  throw new StartupError(
    `DATA_DIR ${resolve(dataDir)}: could not take the lock ${path}; try again.`,
  );
}

function ownLock(path: string, text: string): DataDirLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off("exit", release);
    if (readLock(path) === text) unlinkQuietly(path);
  };
  // Last resort for exits that skip the graceful path (process.exit after a crash).
  process.on("exit", release);
  return { path, release };
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === "number" && typeof o.host === "string") {
      return { pid: o.pid, host: o.host, since: typeof o.since === "string" ? o.since : "?" };
    }
  } catch {
    // fall through
  }
  return undefined;
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    // EPERM: it exists, under another user. Only ESRCH means nobody has that pid.
    return errorCode(err) === "ESRCH";
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
