/** The admin API (routes.ts) and what app.ts needs to wire it. */

export { ADMIN_COOKIE, ADMIN_HEADER, adminCookieValue } from "./guards";
export { tokenRef } from "./refs";
export {
  ADMIN_DISABLED_MESSAGE,
  ADMIN_PREFIX,
  type AdminDeps,
  type AdminRepo,
  adminRoutes,
  BAN_DURATIONS,
  type BanView,
  type ReportView,
} from "./routes";
export { type AdminSessionOptions, type AdminSessionStore, AdminSessions } from "./sessions";
export { LoginThrottle } from "./throttle";
