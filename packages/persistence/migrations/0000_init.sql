CREATE TABLE "bans" (
	"token" text PRIMARY KEY NOT NULL,
	"at" bigint NOT NULL,
	"until" bigint,
	"note" text NOT NULL,
	"report_id" text
);
--> statement-breakpoint
CREATE TABLE "blocked_pairs" (
	"a" text NOT NULL,
	"b" text NOT NULL,
	"at" bigint NOT NULL,
	CONSTRAINT "blocked_pairs_a_b_pk" PRIMARY KEY("a","b")
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" text PRIMARY KEY NOT NULL,
	"space" text NOT NULL,
	"at" bigint NOT NULL,
	"reason" text NOT NULL,
	"note" text,
	"reporter" text,
	"reported" text,
	"transcript" jsonb,
	"trust_penalty" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"resolved_at" bigint
);
--> statement-breakpoint
CREATE TABLE "trust" (
	"token" text PRIMARY KEY NOT NULL,
	"score" integer NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "blocked_pairs_b" ON "blocked_pairs" USING btree ("b");--> statement-breakpoint
CREATE INDEX "reports_status_at" ON "reports" USING btree ("status","at");--> statement-breakpoint
CREATE INDEX "reports_at" ON "reports" USING btree ("at");