/**
 * Browsers still ask for /favicon.ico on their own; answer with the same mark as app/icon.svg
 * (kept in step by hand) rather than a 404, which would show as a console error.
 */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
  <title>Duet</title>
  <rect width="32" height="32" rx="8" fill="#f6f1ea"/>
  <circle cx="12.5" cy="16" r="7.5" fill="none" stroke="#1c6b66" stroke-width="2.6"/>
  <circle cx="19.5" cy="16" r="7.5" fill="none" stroke="#1c6b66" stroke-width="2.6" opacity="0.55"/>
</svg>`;

export function GET(): Response {
  return new Response(ICON, {
    headers: { "content-type": "image/svg+xml", "cache-control": "public, max-age=86400" },
  });
}
