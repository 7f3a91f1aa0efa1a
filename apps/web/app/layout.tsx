import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { DuetProvider } from "../components/DuetProvider";
import { NoticeBanner } from "../components/NoticeBanner";
import { SiteHeader } from "../components/SiteHeader";
import { VideoProvider } from "../components/VideoProvider";
import { DISCLAIMER } from "../lib/copy";
import "./globals.css";

// Every page renders per request: the server gives each response its own CSP nonce (apps/server/
// src/headers.ts), and a page prerendered at build time could not carry it on its scripts.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "Duet", template: "%s · Duet" },
  description:
    "Anonymous one-to-one conversations with a stranger. No accounts, no profiles, nothing kept.",
  referrer: "no-referrer",
  robots: { index: true, follow: false },
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: "#f6f1ea",
  colorScheme: "light",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <DuetProvider>
          <VideoProvider>
            <SiteHeader />
            <main id="main" className="site-main">
              <NoticeBanner />
              {children}
            </main>
            <footer className="site-footer">
              <p>{DISCLAIMER}</p>
            </footer>
          </VideoProvider>
        </DuetProvider>
      </body>
    </html>
  );
}
