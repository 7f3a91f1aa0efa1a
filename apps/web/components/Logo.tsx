/** Two overlapping circles: two people, one conversation. Decorative. */
export function Logo() {
  return (
    <svg
      className="logo"
      viewBox="0 0 32 32"
      width="28"
      height="28"
      aria-hidden="true"
      focusable="false"
    >
      <circle cx="12" cy="16" r="8.5" fill="none" stroke="currentColor" strokeWidth="2.5" />
      <circle
        cx="20"
        cy="16"
        r="8.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="2.5"
        opacity="0.55"
      />
    </svg>
  );
}
