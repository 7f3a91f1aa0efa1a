"use client";

import type { SpaceId } from "@duet/protocol";
import { usePathname } from "next/navigation";
import { useRef } from "react";
import { FOOTER_COPY } from "../lib/copy";
import { useDuetState } from "./DuetProvider";

/** The space a path belongs to: its own pages, or a room of it (as the server said). */
function spaceOf(pathname: string, roomSpace: SpaceId | null): keyof typeof FOOTER_COPY {
  if (pathname.startsWith("/admin")) return "admin";
  for (const space of ["menti", "stimchat", "dormparty"] as const) {
    if (pathname === `/${space}` || pathname.startsWith(`/${space}/`)) return space;
  }
  if (pathname.startsWith("/room/") && roomSpace && roomSpace in FOOTER_COPY) return roomSpace;
  return "home";
}

/** The footer of every page: one line that is true of the space being used. */
export function SiteFooter() {
  const pathname = usePathname();
  const { state } = useDuetState();
  // A room keeps its space's line after the conversation ended (the state may move on).
  const roomSpace = useRef<SpaceId | null>(null);
  if (state && "space" in state) roomSpace.current = state.space;
  return (
    <footer className="site-footer">
      <p>{FOOTER_COPY[spaceOf(pathname, roomSpace.current)]}</p>
    </footer>
  );
}
