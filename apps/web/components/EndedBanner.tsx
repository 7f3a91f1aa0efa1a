/**
 * The "This conversation has ended" banner shown after a refused or stale room (`?ended=1`): on
 * the landing page, or on a space's own page when that space is the only one enabled.
 */
export function EndedBanner() {
  return (
    <div role="status" className="banner">
      <p className="banner-title">This conversation has ended</p>
      <p>It can't be reopened. Whenever you feel ready, you can start a new one.</p>
    </div>
  );
}
