/**
 * Which `state` views a client shows (docs/protocol.md, "Versions"): a view older than one
 * already shown on this connection is dropped; one without a version (an older server) is shown.
 * `shown` is -1 before the first view of a connection.
 */
export function nextShownVersion(version: number | undefined, shown: number): number | null {
  if (version === undefined) return shown;
  return version < shown ? null : version;
}
