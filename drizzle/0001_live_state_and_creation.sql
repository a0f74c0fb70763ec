CREATE TABLE "creation_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"uses_left" integer,
	"expires_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "creation_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "media_nodes" ADD COLUMN "budget_total" double precision;--> statement-breakpoint
ALTER TABLE "media_nodes" ADD COLUMN "budget_used" double precision;--> statement-breakpoint
ALTER TABLE "media_nodes" ADD COLUMN "budget_full_ladder" double precision;--> statement-breakpoint
ALTER TABLE "media_nodes" ADD COLUMN "max_streams" integer;--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "reconnecting" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "quality" jsonb;--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "state_node" text;--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "state_session" text;--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "state_epoch" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "state_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "state_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "creator_ip" text;--> statement-breakpoint
CREATE INDEX "streams_creator_idx" ON "streams" USING btree ("creator_ip","ended_at");