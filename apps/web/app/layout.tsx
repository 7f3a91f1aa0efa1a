import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { DuetProvider } from "../components/DuetProvider";
import { HelpProvider } from "../components/HelpProvider";
import { NoticeBanner } from "../components/NoticeBanner";
import { SiteFooter } from "../components/SiteFooter";
import { SiteHeader } from "../components/SiteHeader";
import { VideoProvider } from "../components/VideoProvider";
import { THEME_SCRIPT } from "../lib/theme";
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
  // A phone's on-screen keyboard shrinks the layout (and `dvh`), so a room's message box and
  // controls stay above it instead of being scrolled away (globals.css, "room").
  interactiveWidget: "resizes-content",
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#f6f1ea" },
    { media: "(prefers-color-scheme: dark)", color: "#1c1a17" },
  ],
  colorScheme: "light dark",
};

/** This request's CSP nonce (apps/server/src/headers.ts puts the policy on the request). */
async function requestNonce(): Promise<string | undefined> {
  const policy = (await headers()).get("content-security-policy") ?? "";
  return /'nonce-([^']+)'/.exec(policy)?.[1];
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const nonce = await requestNonce();
  return (
    // The theme script sets data-theme before React hydrates: that difference is expected.
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* A constant of ours (lib/theme.ts), allowed by the page's nonce. */}
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body>
        <DuetProvider>
          <HelpProvider>
            <VideoProvider>
              <SiteHeader />
              <main id="main" className="site-main">
                <NoticeBanner />
                {children}
              </main>
              <SiteFooter />
            </VideoProvider>
          </HelpProvider>
        </DuetProvider>
      </body>
    </html>
  );
}
