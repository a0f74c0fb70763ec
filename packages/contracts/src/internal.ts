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
export const VerifyKeyResponse = z.object({ publicId: PublicId });

/** media → manager: `POST /internal/streams/:publicId/state` on every live/offline transition. */
export const StreamStateUpdate = z.object({
  live: z.boolean(),
  rungs: z.array(Rung).default([]),
});
export type StreamStateUpdate = z.infer<typeof StreamStateUpdate>;

/** media → manager: `POST /internal/nodes/heartbeat`, every few seconds (scale-out registration). */
export const MediaNodeHeartbeat = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,64}$/, "node ids are 1-64 characters of a-z, 0-9 and -"),
  rtmpServer: z.string(),
  whipBase: z.string().url(),
  hlsBase: z.string().url(),
  internalUrl: z.string().url(),
  capacity: z.number().int().positive(),
  load: z.number().int().nonnegative(),
  /**
   * Public ids live on this node now. A heartbeat that came late makes the manager show the node's streams
   * offline; the next one brings back those still live.
   */
  live: z.array(z.string().max(64)).max(10_000).default([]),
});
export type MediaNodeHeartbeat = z.infer<typeof MediaNodeHeartbeat>;
