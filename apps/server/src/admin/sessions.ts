/**
 * Signed-in moderators, in memory only (a restart signs everyone out). A session id is 256
 * random bits, sent once in the httpOnly cookie; the map holds only its SHA-256, so neither a
 * heap dump nor a timing difference in the lookup gives a usable id away.
 *
 * A session ends after `idleMs` without a request or `maxAgeMs` after sign-in, whichever comes
 * first. At most `maxSessions` live at once: the oldest goes first (sign-in is rate-limited, so
 * this only bounds memory).
 */
import { createHash, randomBytes } from "node:crypto";

export const DEFAULT_ADMIN_SESSION_MAX_AGE_MS = 12 * 60 * 60_000;
export const DEFAULT_ADMIN_SESSION_IDLE_MS = 60 * 60_000;
const DEFAULT_MAX_SESSIONS = 100;

export interface AdminSessionOptions {
  readonly maxAgeMs?: number;
  readonly idleMs?: number;
  readonly maxSessions?: number;
}

interface Entry {
  readonly createdAt: number;
  lastSeen: number;
}

/**
 * The AdminSessions seam: where signed-in moderators are remembered. In a cluster a moderator
 * signed in on one node must be signed in on all (issue 18: Redis, keyed by the id's hash, with
 * the same expiry rules); test/seams/admin-sessions.contract.ts is what each store must do.
 */
export interface AdminSessionStore {
  /** The longest a session lives (the cookie's Max-Age). */
  readonly maxAgeMs: number;
  /** Starts a session; returns its id (for the cookie). */
  create(now: number): string | Promise<string>;
  /** True, and the idle timer restarted, when `id` is a live session. */
  touch(id: string | undefined, now: number): boolean | Promise<boolean>;
  /** Ends the session (sign out). */
  end(id: string | undefined): void | Promise<void>;
}

/** This process's sessions (the seam's local implementation). */
export class AdminSessions implements AdminSessionStore {
  private readonly entries = new Map<string, Entry>();
  readonly maxAgeMs: number;
  readonly idleMs: number;
  private readonly maxSessions: number;

  constructor(options: AdminSessionOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_ADMIN_SESSION_MAX_AGE_MS;
    this.idleMs = options.idleMs ?? DEFAULT_ADMIN_SESSION_IDLE_MS;
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  }

  /** Starts a session; returns its id (for the cookie). */
  create(now: number): string {
    this.sweep(now);
    while (this.entries.size >= this.maxSessions) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    const id = randomBytes(32).toString("base64url");
    this.entries.set(key(id), { createdAt: now, lastSeen: now });
    return id;
  }

  /** True, and the idle timer restarted, when `id` is a live session. */
  touch(id: string | undefined, now: number): boolean {
    if (id === undefined) return false;
    const k = key(id);
    const entry = this.entries.get(k);
    if (!entry) return false;
    if (expired(entry, now, this.maxAgeMs, this.idleMs)) {
      this.entries.delete(k);
      return false;
    }
    entry.lastSeen = now;
    return true;
  }

  /** Ends the session (sign out). */
  end(id: string | undefined): void {
    if (id !== undefined) this.entries.delete(key(id));
  }

  /** Live sessions (expired ones are dropped first). */
  size(now: number): number {
    this.sweep(now);
    return this.entries.size;
  }

  private sweep(now: number): void {
    for (const [k, entry] of this.entries) {
      if (expired(entry, now, this.maxAgeMs, this.idleMs)) this.entries.delete(k);
    }
  }
}

function key(id: string): string {
  return createHash("sha256").update(id, "utf8").digest("base64url");
}

function expired(entry: Entry, now: number, maxAgeMs: number, idleMs: number): boolean {
  return now - entry.createdAt >= maxAgeMs || now - entry.lastSeen >= idleMs;
}
