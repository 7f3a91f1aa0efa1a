import type { ReactNode } from "react";

/**
 * Line icons (decorative: every control that shows one also says in words what it does). For
 * the call's toggles, a slash across means "off".
 */
function LineIcon({
  children,
  off = false,
  className = "media-icon",
}: {
  children: ReactNode;
  off?: boolean;
  className?: string;
}) {
  return (
    <svg
      className={className}
      viewBox="0 0 24 24"
      width="20"
      height="20"
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      {children}
      {off ? <path d="M3 3l18 18" /> : null}
    </svg>
  );
}

export function MicIcon({ off }: { off: boolean }) {
  return (
    <LineIcon off={off}>
      <rect x="9" y="3" width="6" height="11" rx="3" />
      <path d="M5 11a7 7 0 0 0 14 0M12 18v3" />
    </LineIcon>
  );
}

export function CameraIcon({ off }: { off: boolean }) {
  return (
    <LineIcon off={off}>
      <rect x="3" y="6" width="13" height="12" rx="2" />
      <path d="M16 10.5l5-3v9l-5-3z" />
    </LineIcon>
  );
}

/** The theme toggle's moon, filled while the dark theme is on. */
export function MoonIcon({ filled }: { filled: boolean }) {
  return (
    <LineIcon className="theme-icon">
      <path
        d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z"
        fill={filled ? "currentColor" : "none"}
      />
    </LineIcon>
  );
}
