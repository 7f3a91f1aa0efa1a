/**
 * The token secret: TOKEN_SECRET from the configuration, or else the one in
 * `<dataDir>/token-secret`, or else a new one generated there on first start.
 *
 * The file holds text, exactly like TOKEN_SECRET (43 characters: 32 random bytes, base64url), and
 * the key is that text's UTF-8 bytes in both cases, so an operator can move the file's content into
 * TOKEN_SECRET without invalidating a single token. The secret itself is never logged.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../logger";

export const TOKEN_SECRET_FILE = "token-secret";
/** Same floor as TOKEN_SECRET in config.ts. */
const MIN_SECRET_LENGTH = 32;

export interface TokenSecretSource {
  readonly tokenSecret?: string | undefined;
  readonly dataDir: string;
}

export function loadTokenSecret(config: TokenSecretSource, logger: Logger): Buffer {
  if (config.tokenSecret !== undefined && config.tokenSecret !== "") {
    return Buffer.from(config.tokenSecret, "utf8");
  }
  const path = join(config.dataDir, TOKEN_SECRET_FILE);
  const existing = readSecretFile(path, logger);
  if (existing !== undefined) return Buffer.from(existing, "utf8");

  const secret = randomBytes(32).toString("base64url");
  mkdirSync(config.dataDir, { recursive: true });
  // Write a temporary file and rename it into place, so a crash never leaves a partial secret.
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, `${secret}\n`, { mode: 0o600, flag: "wx", flush: true });
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  logger.info({ path }, "generated a new token secret");
  return Buffer.from(secret, "utf8");
}

/** The file's secret; undefined when there is no file. Throws when the file is unusable. */
function readSecretFile(path: string, logger: Logger): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read the token secret ${path}: ${(err as Error).message}`);
  }
  const secret = text.trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    // Replacing it silently would sign every existing token out; let the operator decide.
    throw new Error(
      `the token secret ${path} holds fewer than ${MIN_SECRET_LENGTH} characters: delete it to generate a new one, or set TOKEN_SECRET`,
    );
  }
  if (process.platform !== "win32" && (statSync(path).mode & 0o077) !== 0) {
    logger.warn({ path }, "the token secret file is readable by other users; chmod 600 it");
  }
  return secret;
}
