CREATE TABLE "clips" (
	"id" text PRIMARY KEY NOT NULL,
	"public_id" text NOT NULL,
	"video_id" text,
	"node" text NOT NULL,
	"title" text NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"duration_seconds" double precision NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"hls_base" text NOT NULL,
	"creator_ip" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "videos" (
	"id" text PRIMARY KEY NOT NULL,
	"public_id" text NOT NULL,
	"title" text NOT NULL,
	"node" text NOT NULL,
	"session" text NOT NULL,
	"state" text NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"ended_at" timestamp (3) with time zone,
	"duration_seconds" double precision DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"peak_viewers" integer DEFAULT 0 NOT NULL,
	"hls_base" text NOT NULL,
	"reported_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "recording" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "streams" ADD COLUMN "refusal" jsonb;--> statement-breakpoint
CREATE INDEX "clips_stream_idx" ON "clips" USING btree ("public_id","created_at","id");--> statement-breakpoint
CREATE INDEX "clips_video_idx" ON "clips" USING btree ("video_id");--> statement-breakpoint
CREATE INDEX "videos_stream_idx" ON "videos" USING btree ("public_id","started_at","id");--> statement-breakpoint
CREATE INDEX "videos_started_idx" ON "videos" USING btree ("started_at","id");--> statement-breakpoint
CREATE INDEX "chat_messages_room_time_idx" ON "chat_messages" USING btree ("room_id","created_at","seq");