import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/** One rung as stored with a live stream (mirrors the contracts' Rung). */
export type StoredRung = {
  name: string;
  bandwidth: number;
  width: number;
  height: number;
  playlist?: string;
};

/** Streams: the manager owns this table. The private id is kept only as its SHA-256. */
export const streams = pgTable(
  "streams",
  {
    publicId: text("public_id").primaryKey(),
    name: text("name").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    live: boolean("live").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 })
      .notNull()
      .defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date", precision: 3 }),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "date", precision: 3 }),
    mediaNode: text("media_node"),
    rtmpServer: text("rtmp_server").notNull(),
    whipUrl: text("whip_url").notNull(),
    hlsUrl: text("hls_url").notNull(),
    chatUrl: text("chat_url").notNull(),
    rungs: jsonb("rungs").$type<StoredRung[]>().notNull().default(sql`'[]'::jsonb`),
  },
  (t) => [
    // The directory's order: live first, then newest; ended streams are filtered out.
    index("streams_directory_idx").on(t.endedAt, t.live, t.createdAt, t.publicId),
  ],
);

/** Media nodes that registered with the manager (scale-out). */
export const mediaNodes = pgTable("media_nodes", {
  id: text("id").primaryKey(),
  rtmpServer: text("rtmp_server").notNull(),
  whipBase: text("whip_base").notNull(),
  hlsBase: text("hls_base").notNull(),
  internalUrl: text("internal_url").notNull(),
  capacity: integer("capacity").notNull(),
  load: integer("load").notNull().default(0),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true, mode: "date", precision: 3 })
    .notNull()
    .defaultNow(),
});

/** Chat history: the chat service owns these tables; it keeps the last 200 per room. */
export const chatMessages = pgTable(
  "chat_messages",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    id: text("id").notNull().unique(),
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    displayName: text("display_name").notNull(),
    text: text("text").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (t) => [index("chat_messages_room_idx").on(t.roomId, t.seq)],
);

/** Rooms and their moderation settings. */
export const chatRooms = pgTable("chat_rooms", {
  publicId: text("public_id").primaryKey(),
  slowModeSeconds: integer("slow_mode_seconds").notNull().default(0),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 })
    .notNull()
    .defaultNow(),
  closedAt: timestamp("closed_at", { withTimezone: true, mode: "date", precision: 3 }),
});

/** Bans and time-outs, keyed by the server-issued anonymous identity (not the display name). */
export const chatBans = pgTable(
  "chat_bans",
  {
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    // null: banned for good; a time: timed out until then.
    until: timestamp("until", { withTimezone: true, mode: "date", precision: 3 }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] })],
);
