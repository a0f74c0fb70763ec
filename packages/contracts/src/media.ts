import { z } from "zod";
import { StreamPhase, StreamQuality } from "./internal.ts";
import { PublicId, Rung } from "./streams.ts";

/**
 * The media node's own wire shapes: the ABR ladder configuration and the per-stream status
 * endpoint (`GET /streams/:publicId/status` on the media node).
 */

/** One configured rung of the transcoding ladder (`HLS_LADDER` JSON). */
export const LadderRungConfig = z.object({
  /** Directory and display name, e.g. "720p". "source" is reserved for the copied/re-encoded source rung. */
  name: z.string().regex(/^[a-z0-9_-]{1,16}$/, "rung names are 1-16 characters of a-z, 0-9, _ and -"),
  /** Output height in pixels; the width follows the source's aspect ratio. */
  height: z.number().int().min(90).max(4320),
  videoKbps: z.number().int().min(100).max(50_000),
  audioKbps: z.number().int().min(32).max(320).default(128),
});
export type LadderRungConfig = z.infer<typeof LadderRungConfig>;

/** The whole ladder: the source rung plus the scaled rungs, tallest first. */
export const LadderConfig = z.object({
  /** Bitrate used when the source rung must be re-encoded (not H.264, or taller than `sourceMaxHeight`). */
  sourceKbps: z.number().int().min(300).max(50_000).default(6000),
  sourceMaxHeight: z.number().int().min(144).max(4320).default(1080),
  rungs: z
    .array(LadderRungConfig)
    .min(1)
    .max(8)
    .refine((r) => new Set(r.map((x) => x.name)).size === r.length, "rung names must be unique")
    .refine((r) => r.every((x) => x.name !== "source"), '"source" is reserved'),
});
export type LadderConfig = z.infer<typeof LadderConfig>;

/** What a media node reports about one stream. Never carries the stream key. */
export const MediaStreamStatus = z.object({
  publicId: PublicId,
  live: z.boolean(),
  /** The stream's state machine (absent for a stream this node does not have). */
  phase: StreamPhase.nullable().default(null),
  quality: StreamQuality.nullable().default(null),
  rungs: z.array(Rung),
  input: z
    .object({
      videoCodec: z.string(),
      width: z.number().int(),
      height: z.number().int(),
      fps: z.number(),
      /** Measured ingest bitrate over the last few seconds (bits per second). */
      bitrate: z.number().int(),
      audio: z.boolean(),
    })
    .nullable(),
  transcoder: z
    .object({
      pid: z.number().int().nullable(),
      /** ffmpeg's `speed` (1.0 = real time). */
      speed: z.number().nullable(),
      droppedFrames: z.number().int(),
      restarts: z.number().int(),
      startedAt: z.string().nullable(),
    })
    .nullable(),
});
export type MediaStreamStatus = z.infer<typeof MediaStreamStatus>;
