import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
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
    /** Live, but the publisher dropped and may come back within the node's grace. */
    reconnecting: boolean("reconnecting").notNull().default(false),
    /** The quality the node gave the stream (contracts' StreamQuality); null while offline. */
    quality: jsonb("quality").$type<StoredQuality | null>(),
    /**
     * The newest state report applied (contracts' ReportOrigin): a report is applied only when its
     * (epoch, seq) is greater, so stale heartbeats and reports from a node the stream has left change nothing.
     */
    stateNode: text("state_node"),
    stateSession: text("state_session"),
    stateEpoch: bigint("state_epoch", { mode: "number" }).notNull().default(0),
    stateSeq: integer("state_seq").notNull().default(0),
    /** When the newest state report (or heartbeat carrying it) arrived. */
    stateAt: timestamp("state_at", { withTimezone: true, mode: "date", precision: 3 }),
    /** The client address that created the stream (abuse limits); null for admin-created streams. */
    creatorIp: text("creator_ip"),
    /** The streamer lets broadcasts be recorded (contracts' StreamSettings). */
    recording: boolean("recording").notNull().default(true),
    /** The newest publish a media node refused (contracts' PublishRefusal + when); cleared when the stream goes live. */
    refusal: jsonb("refusal").$type<StoredRefusal | null>(),
  },
  (t) => [
    // The directory's order: live first, then newest; ended streams are filtered out.
    index("streams_directory_idx").on(t.endedAt, t.live, t.createdAt, t.publicId),
    index("streams_creator_idx").on(t.creatorIp, t.endedAt),
  ],
);

/** A refused publish as stored (mirrors the contracts' PublishRefusal, plus when it arrived, ms since 1970). */
export type StoredRefusal = {
  node: string;
  code: string;
  message: string;
  retryAfterSeconds: number | null;
  at: number;
};

/** One stream's quality as stored (mirrors the contracts' StreamQuality). */
export type StoredQuality = {
  level: "full" | "reduced" | "source";
  preset: string | null;
  rungs: string[];
  reason: string | null;
  realtime: boolean;
};

/** Operator-issued stream creation (invite) tokens; the secret is kept only as its SHA-256. */
export const creationTokens = pgTable("creation_tokens", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  label: text("label").notNull().default(""),
  /** null: unlimited uses until expiry or revocation. */
  usesLeft: integer("uses_left"),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date", precision: 3 }),
  revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date", precision: 3 }),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 })
    .notNull()
    .defaultNow(),
});

/** Media nodes that registered with the manager (scale-out). */
export const mediaNodes = pgTable("media_nodes", {
  id: text("id").primaryKey(),
  rtmpServer: text("rtmp_server").notNull(),
  whipBase: text("whip_base").notNull(),
  hlsBase: text("hls_base").notNull(),
  internalUrl: text("internal_url").notNull(),
  capacity: integer("capacity").notNull(),
  load: integer("load").notNull().default(0),
  /** The node's transcode budget and its use (contracts' NodeBudget), from its newest heartbeat. */
  budgetTotal: doublePrecision("budget_total"),
  budgetUsed: doublePrecision("budget_used"),
  budgetFullLadder: doublePrecision("budget_full_ladder"),
  maxStreams: integer("max_streams"),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true, mode: "date", precision: 3 })
    .notNull()
    .defaultNow(),
});

/** Chat history: the chat service owns these tables; messages stay while a recording may replay them. */
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
  (t) => [
    index("chat_messages_room_idx").on(t.roomId, t.seq),
    // Chat replay reads a room's messages between two server times.
    index("chat_messages_room_time_idx").on(t.roomId, t.createdAt, t.seq),
  ],
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

/**
 * Recordings (past broadcasts): the manager owns this table; the media node named by `node` holds the files
 * and reports (contracts' RecordingReport). The id is the recording id the node made.
 */
export const videos = pgTable(
  "videos",
  {
    id: text("id").primaryKey(),
    publicId: text("public_id").notNull(),
    title: text("title").notNull(),
    node: text("node").notNull(),
    session: text("session").notNull(),
    /** "recording" | "ready" (contracts' VideoState). */
    state: text("state").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "date", precision: 3 }),
    durationSeconds: doublePrecision("duration_seconds").notNull().default(0),
    bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
    peakViewers: integer("peak_viewers").notNull().default(0),
    /** The node's public HLS base when the recording started (its playlists' URLs are built from it). */
    hlsBase: text("hls_base").notNull(),
    /** When the newest report arrived (a recording whose node went silent is finalised after the node timeout). */
    reportedAt: timestamp("reported_at", { withTimezone: true, mode: "date", precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (t) => [
    index("videos_stream_idx").on(t.publicId, t.startedAt, t.id),
    // Listing and retention go newest or oldest first over every stream.
    index("videos_started_idx").on(t.startedAt, t.id),
  ],
);

/** Clips: the manager owns this table; the media node named by `node` holds a copy of the clip's segments. */
export const clips = pgTable(
  "clips",
  {
    id: text("id").primaryKey(),
    publicId: text("public_id").notNull(),
    /** The recording it was cut from; null once that recording is deleted. */
    videoId: text("video_id"),
    node: text("node").notNull(),
    title: text("title").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    durationSeconds: doublePrecision("duration_seconds").notNull(),
    bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
    hlsBase: text("hls_base").notNull(),
    /** The client address that made the clip (rate limits). */
    creatorIp: text("creator_ip"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (t) => [
    index("clips_stream_idx").on(t.publicId, t.createdAt, t.id),
    index("clips_video_idx").on(t.videoId),
  ],
);
