/**
 * The logging seam. Production uses pino (see main.ts); anything with these methods works, so
 * tests pass a silent or capturing logger. Never log message text, IP addresses or tokens.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/**
 * Fields pino removes from every log line, whatever logs them: a second line of defence behind
 * "never log message text, IP addresses, tokens, notes or passwords".
 */
export const REDACTED_PATHS = [
  "text",
  "*.text",
  "note",
  "*.note",
  "ip",
  "*.ip",
  "token",
  "*.token",
  "cookie",
  "*.cookie",
  "password",
  "*.password",
  "transcript",
  "*.transcript",
  "req.headers",
  "headers",
  "*.headers",
];
