import { z } from "zod";
import { PUBLIC_ID_CHARS } from "./public-id-chars.ts";

export { PUBLIC_ID_CHARS };

/** A public id: short, URL-safe, random (see the manager's stream-id module). */
export const PublicId = z
  .string()
  .regex(new RegExp(`^${PUBLIC_ID_CHARS}$`), "public ids are 8-32 characters of A-Z, a-z, 0-9, _ and -");

// Control characters (C0, DEL, C1) would break logs, titles and chat headers.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A stream's display name: 1-80 characters after trimming, no control characters. */
export const StreamName = z
  .string()
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .min(1, "name must not be empty")
      .max(80, "name must be at most 80 characters")
      .refine((s) => !CONTROL.test(s), "name must not contain control characters"),
  );

/** One rung of the adaptive-bitrate ladder as the player sees it. */
export const Rung = z.object({
  name: z.string(),
  bandwidth: z.number().int().nonnegative(),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  /** The variant playlist, relative to the master playlist (e.g. "720p/index.m3u8"). */
  playlist: z.string().optional(),
});
export type Rung = z.infer<typeof Rung>;

/** A stream as the public directory lists it. Never carries the private id. */
export const StreamSummary = z.object({
  publicId: PublicId,
  name: z.string(),
  live: z.boolean(),
  /** Live, but the publisher dropped and may come back within the node's grace: players wait, chat stays open. */
  reconnecting: z.boolean().default(false),
  /** Which quality the stream got on its node ("full", "reduced", "source"); null while offline. */
  quality: z.enum(["full", "reduced", "source"]).nullable().default(null),
  /** False while the node cannot keep the stream real-time (shown as degraded). */
  realtime: z.boolean().default(true),
  watchUrl: z.string(),
  hlsUrl: z.string(),
  chatUrl: z.string(),
  thumbnailUrl: z.string(),
  viewers: z.number().int().nonnegative(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
});
export type StreamSummary = z.infer<typeof StreamSummary>;

export const StreamList = z.object({
  streams: z.array(StreamSummary),
  nextCursor: z.string().nullable(),
});
export type StreamList = z.infer<typeof StreamList>;

export const StartStreamBody = z.object({
  name: StreamName,
  /** An operator-issued creation (invite) token; required when the instance runs with STREAM_CREATION=token. */
  creationToken: z.string().min(1).max(200).optional(),
});

/** The only response that ever carries the private id (the stream key). */
export const StartedStream = z.object({
  publicId: PublicId,
  privateId: z.string(),
  name: z.string(),
  rtmp: z.object({ server: z.string(), streamKey: z.string() }),
  whipUrl: z.string(),
  hlsUrl: z.string(),
  chatUrl: z.string(),
  watchUrl: z.string(),
});
export type StartedStream = z.infer<typeof StartedStream>;

export const StreamLookup = z.object({
  publicId: PublicId,
  name: z.string(),
  live: z.boolean(),
  reconnecting: z.boolean().default(false),
  quality: z.enum(["full", "reduced", "source"]).nullable().default(null),
  realtime: z.boolean().default(true),
  hlsUrl: z.string(),
  chatUrl: z.string(),
  rungs: z.array(Rung),
  /**
   * The live session's recording (live rewind): its EVENT master playlist reaches back to the broadcast's start.
   * Null when the stream is offline or its broadcast is not recorded.
   */
  dvr: z.object({ videoId: z.string(), hlsUrl: z.string() }).nullable().default(null),
  /**
   * Why the newest publish was refused by the media node (e.g. the node is at capacity), while the stream is
   * offline; null once it goes live or when nothing was refused.
   */
  refusal: z
    .object({
      code: z.string(),
      message: z.string(),
      /** ISO 8601. */
      at: z.string(),
      retryAfterSeconds: z.number().int().nonnegative().nullable(),
    })
    .nullable()
    .default(null),
});
export type StreamLookup = z.infer<typeof StreamLookup>;

export const WhipInfo = z.object({ whipUrl: z.string() });
