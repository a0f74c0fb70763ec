import { z } from "zod";
import { PublicId, Rung } from "./streams.ts";

/**
 * Internal calls between services. Every one carries `Authorization: Bearer <INTERNAL_TOKEN>`.
 */

/** manager → media: `POST /internal/streams`. */
export const MediaCreateStream = z.object({ publicId: PublicId });
/** media → manager: the addresses the media node serves this stream at. */
export const MediaStreamAddresses = z.object({
  rtmpServer: z.string(),
  whipUrl: z.string(),
  hlsUrl: z.string(),
});
export type MediaStreamAddresses = z.infer<typeof MediaStreamAddresses>;
// manager → media: `DELETE /internal/streams/:publicId` (kicks the publisher, ends the playlist).

/** manager → chat: `POST /internal/rooms`. */
export const ChatCreateRoom = z.object({ publicId: PublicId });
export const ChatRoomAddress = z.object({ chatUrl: z.string() });
export type ChatRoomAddress = z.infer<typeof ChatRoomAddress>;
// manager → chat: `DELETE /internal/rooms/:publicId` (sends room_closed, disconnects everyone).

/** chat → manager (polled by the manager): `GET /internal/rooms/counts`. */
export const RoomCounts = z.object({
  rooms: z.record(z.string(), z.object({ viewers: z.number().int(), chatters: z.number().int() })),
});
export type RoomCounts = z.infer<typeof RoomCounts>;

/**
 * media/chat → manager: `POST /internal/keys/verify`. Answers 200 `{ publicId }` when `key` is the
 * private id of a stream that has not ended (and, when given, is the key of `publicId`), else 403.
 */
export const VerifyKeyRequest = z.object({
  key: z.string().min(1).max(200),
  publicId: PublicId.optional(),
  /** The media node asking (scale-out): a stream whose node is down, or that is offline, moves to it. */
  node: z.string().max(64).optional(),
});
export const VerifyKeyResponse = z.object({
  publicId: PublicId,
  /** Whether the streamer lets this stream be recorded (StreamSettings; the node's RECORDING setting wins). */
  recording: z.boolean().default(true),
});

/**
 * A stream's phase on its media node. One state machine per stream owns it:
 * `starting -> live -> reconnecting -> live ... -> ended`. `starting` is not reported as live: a stream is
 * reported live only once it is playable. `reconnecting`: the publisher dropped without a clean unpublish and
 * may come back within the node's grace (`RECONNECT_GRACE_SECONDS`); the playlists stay open and viewers wait.
 */
export const StreamPhase = z.enum(["starting", "live", "reconnecting", "ended"]);
export type StreamPhase = z.infer<typeof StreamPhase>;

/**
 * Who sent a state report and in what order. The manager applies a report only when its
 * `(epoch, seq)` is greater than the one it stored for that stream, so a stale heartbeat, a duplicate, or a
 * late report from a node the stream has left changes nothing.
 * - `node`: the media node's id (`MEDIA_NODE_ID`, or "default" for the single-node set-up).
 * - `session`: the live session's id; a reconnect within the grace keeps it, a new session gets a new one.
 * - `epoch`: the session's start, ms since 1970 (orders sessions, across nodes too).
 * - `seq`: increases with every transition within the session.
 */
export const ReportOrigin = z.object({
  node: z.string().min(1).max(64),
  session: z.string().min(1).max(64),
  epoch: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
});
export type ReportOrigin = z.infer<typeof ReportOrigin>;

/**
 * What quality a live stream got on its node (admission control and degradation).
 * - `full`: the configured ladder; `reduced`: fewer rungs or a cheaper preset; `source`: the source rung only.
 */
export const StreamQuality = z.object({
  level: z.enum(["full", "reduced", "source"]),
  /** The x264 preset the encoded rungs use now (null when nothing is encoded). */
  preset: z.string().nullable(),
  /** Names of the rungs being served. */
  rungs: z.array(z.string()),
  /** Why the stream is not on its full ladder (admission or a degradation), for operators; null when full. */
  reason: z.string().nullable(),
  /** False while the node cannot keep this stream real-time (shown as degraded). */
  realtime: z.boolean(),
});
export type StreamQuality = z.infer<typeof StreamQuality>;

/** media → manager: `POST /internal/streams/:publicId/state` on every transition of the stream's phase. */
export const StreamStateUpdate = z.object({
  phase: StreamPhase,
  origin: ReportOrigin,
  rungs: z.array(Rung).default([]),
  quality: StreamQuality.nullable().default(null),
});
export type StreamStateUpdate = z.infer<typeof StreamStateUpdate>;

/** One stream in a heartbeat: the same state as the node's newest report for it. */
export const HeartbeatStream = StreamStateUpdate.extend({ publicId: PublicId });
export type HeartbeatStream = z.infer<typeof HeartbeatStream>;

/**
 * A node's transcode budget, in the node's cost units (encoded pixels per second of the ladder's rungs,
 * scaled by the preset's cost; see apps/media's admission module). `total` 0 means "source copies only".
 */
export const NodeBudget = z.object({
  total: z.number().nonnegative(),
  used: z.number().nonnegative(),
  /** Budget one full ladder of a typical source (720p30) costs here: lets the manager tell "room for a full ladder". */
  fullLadder: z.number().nonnegative(),
  /** Hard limit of streams per node; publishes beyond it are refused. */
  maxStreams: z.number().int().nonnegative(),
});
export type NodeBudget = z.infer<typeof NodeBudget>;

/** media → manager: `POST /internal/nodes/heartbeat`, every few seconds (scale-out registration). */
export const MediaNodeHeartbeat = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,64}$/, "node ids are 1-64 characters of a-z, 0-9 and -"),
  rtmpServer: z.string(),
  whipBase: z.string().url(),
  hlsBase: z.string().url(),
  internalUrl: z.string().url(),
  capacity: z.number().int().positive(),
  load: z.number().int().nonnegative(),
  budget: NodeBudget.optional(),
  /**
   * Every stream this node has now (not ended), with the state of its newest report. The manager applies each
   * with the same ordering rule as a report (both ways: restores a live stream it missed), and takes offline,
   * after `NODE_TIMEOUT_MS`, a stream it believes live on this node that the node no longer lists.
   */
  streams: z.array(HeartbeatStream).max(10_000).default([]),
});
export type MediaNodeHeartbeat = z.infer<typeof MediaNodeHeartbeat>;

/**
 * media → manager: `POST /internal/streams/:publicId/refusal` when a media node refuses a verified key's publish
 * (RTMP can only drop the connection, and OBS then says no more than "failed to connect"). The manager keeps the
 * newest one on the stream until it goes live, so the broadcast page and `GET /stream/:publicId` can say why.
 */
export const PublishRefusalCode = z.enum(["at_capacity", "unsupported_codec", "no_media", "already_live"]);
export const PublishRefusal = z.object({
  node: z.string().min(1).max(64),
  code: PublishRefusalCode,
  /** For the streamer: what was refused and what to do. No key, no internal address. */
  message: z.string().min(1).max(300),
  /** When trying again may help (at capacity), seconds; null otherwise. */
  retryAfterSeconds: z.number().int().nonnegative().nullable(),
});
export type PublishRefusal = z.infer<typeof PublishRefusal>;
