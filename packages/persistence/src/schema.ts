/**
 * The safety tables (drizzle-orm, PostgreSQL). Times are bigint milliseconds since the epoch, as
 * everywhere in Duet. After changing this file run `npm run generate -w @duet/persistence`: it
 * writes the next versioned migration into ../migrations, which the repo applies on open.
 */
import { bigint, index, integer, jsonb, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import type { TranscriptLine } from "./types";

const ms = (name: string) => bigint(name, { mode: "number" });

export const reports = pgTable(
  "reports",
  {
    id: text("id").primaryKey(),
    space: text("space").notNull(),
    at: ms("at").notNull(),
    reason: text("reason").notNull(),
    note: text("note"),
    reporter: text("reporter"),
    reported: text("reported"),
    transcript: jsonb("transcript").$type<TranscriptLine[]>(),
    trustPenalty: integer("trust_penalty").notNull().default(0),
    status: text("status").notNull().default("open"),
    resolvedAt: ms("resolved_at"),
  },
  (t) => [index("reports_status_at").on(t.status, t.at), index("reports_at").on(t.at)],
);

export const bans = pgTable("bans", {
  token: text("token").primaryKey(),
  at: ms("at").notNull(),
  until: ms("until"),
  note: text("note").notNull(),
  reportId: text("report_id"),
});

export const trust = pgTable("trust", {
  token: text("token").primaryKey(),
  score: integer("score").notNull(),
  updatedAt: ms("updated_at").notNull(),
});

/** One row per unordered pair: `a < b`. */
export const blockedPairs = pgTable(
  "blocked_pairs",
  {
    a: text("a").notNull(),
    b: text("b").notNull(),
    at: ms("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.a, t.b] }), index("blocked_pairs_b").on(t.b)],
);
