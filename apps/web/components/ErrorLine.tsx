/** A refusal or failure in the server's own words, announced at once; nothing when null. */
export function ErrorLine({
  error,
  className = "error",
}: {
  error: string | null;
  className?: string;
}) {
  if (!error) return null;
  return (
    <p role="alert" className={className}>
      {error}
    </p>
  );
}
