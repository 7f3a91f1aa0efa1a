import { fileURLToPath } from "node:url";

/**
 * The web client is served by the gateway's custom Node server (apps/server), which also hosts
 * Socket.IO on the same origin. Everything the client needs is bundled here: no remote fonts,
 * scripts or images.
 * @type {import("next").NextConfig}
 */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: ["@duet/protocol"],
  turbopack: {
    // The monorepo root, so the workspace package `@duet/protocol` is inside the build's root.
    root: fileURLToPath(new URL("../..", import.meta.url)),
  },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "Referrer-Policy", value: "no-referrer" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};

export default nextConfig;
