import { AdminSessions } from "../../src/admin/sessions";
import { adminSessionsContract } from "./admin-sessions.contract";

// One process: both "nodes" are the same memory.
adminSessionsContract("AdminSessions (this process)", async (limits) => {
  const sessions = new AdminSessions(limits);
  return [sessions, sessions];
});
