CREATE TABLE "chat_bans" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"until" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_bans_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"display_name" text NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_messages_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "chat_rooms" (
	"public_id" text PRIMARY KEY NOT NULL,
	"slow_mode_seconds" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "media_nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"rtmp_server" text NOT NULL,
	"whip_base" text NOT NULL,
	"hls_base" text NOT NULL,
	"internal_url" text NOT NULL,
	"capacity" integer NOT NULL,
	"load" integer DEFAULT 0 NOT NULL,
	"heartbeat_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "streams" (
	"public_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"live" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (3) with time zone,
	"ended_at" timestamp (3) with time zone,
	"media_node" text,
	"rtmp_server" text NOT NULL,
	"whip_url" text NOT NULL,
	"hls_url" text NOT NULL,
	"chat_url" text NOT NULL,
	"rungs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "streams_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE INDEX "chat_messages_room_idx" ON "chat_messages" USING btree ("room_id","seq");--> statement-breakpoint
CREATE INDEX "streams_directory_idx" ON "streams" USING btree ("ended_at","live","created_at","public_id");