import { z } from "zod";
import { CLIP_MAX_SECONDS, CLIP_MIN_SECONDS } from "./clip-limits.ts";
import { PublicId, StreamName } from "./streams.ts";

export * from "./clip-limits.ts";

/**
 * Recordings (past broadcasts) and clips. Every live session is recorded by its media node: the CMAF segments the
 * packager already cut are kept, so a recording costs no second encode. A recording is a **video**: while its
 * session is live it is an HLS EVENT playlist (live rewind); when the session ends it becomes a VOD.
 * A **clip** is a 5-60 s piece of a recording (live or finished), cut on segment boundaries without re-encoding;
 * it owns a copy of its segments, so it outlives the recording it came from.
 */

/** A video's (= its recording's) id: made by the media node that records it; lower-case letters and digits. */
export const VideoId = z.string().regex(/^[a-z0-9]{8,32}$/, "video ids are 8-32 characters of a-z and 0-9");
/** A clip's id: made by the manager; lower-case letters and digits. */
export const ClipId = z.string().regex(/^[a-z0-9]{8,32}$/, "clip ids are 8-32 characters of a-z and 0-9");

/** `recording`: its session is still live (an EVENT playlist, rewindable); `ready`: a finished VOD. */
export const VideoState = z.enum(["recording", "ready"]);
export type VideoState = z.infer<typeof VideoState>;

/** A past (or current) broadcast as the public API lists it. Never carries the stream key. */
export const Video = z.object({
  videoId: VideoId,
  /** The stream it was broadcast on. */
  publicId: PublicId,
  /** The stream's name when the broadcast started. */
  title: z.string(),
  state: VideoState,
  /** ISO 8601: the first recorded frame's wall-clock time. */
  startedAt: z.string(),
  /** ISO 8601; null while recording. */
  endedAt: z.string().nullable(),
  /** Seconds of recorded media (the sum of the segments; gaps of a reconnect are not counted). */
  durationSeconds: z.number().nonnegative(),
  /** The most viewers the stream had during the broadcast. */
  peakViewers: z.number().int().nonnegative(),
  /** Master playlist: EVENT while recording, VOD (EXT-X-ENDLIST) once ready. Same rungs as the live stream. */
  hlsUrl: z.string(),
  thumbnailUrl: z.string(),
  /** The video's page on the web app (`/videos/<videoId>`). */
  watchUrl: z.string(),
  /** HTTP GET answering ChatReplay: the broadcast's chat, with server times (see chatReplayUrl). */
  chatReplayUrl: z.string(),
});
export type Video = z.infer<typeof Video>;

export const VideoList = z.object({ videos: z.array(Video), nextCursor: z.string().nullable() });
export type VideoList = z.infer<typeof VideoList>;

/** A clip as the public API shows it. */
export const Clip = z.object({
  clipId: ClipId,
  publicId: PublicId,
  /** The recording it was cut from; null once that recording is deleted (the clip stays). */
  videoId: VideoId.nullable(),
  title: z.string(),
  /** ISO 8601: when the clip was made. */
  createdAt: z.string(),
  /** ISO 8601: wall-clock time of the clip's first frame. */
  startedAt: z.string(),
  durationSeconds: z.number().nonnegative(),
  /** VOD master playlist. */
  hlsUrl: z.string(),
  thumbnailUrl: z.string(),
  /** The clip's page on the web app (`/clips/<clipId>`). */
  watchUrl: z.string(),
});
export type Clip = z.infer<typeof Clip>;

export const ClipList = z.object({ clips: z.array(Clip), nextCursor: z.string().nullable() });
export type ClipList = z.infer<typeof ClipList>;

/**
 * `POST /clips`: either from a recording (`videoId` + `startSeconds`, an offset on the video's own timeline, as
 * its player shows it) or from a live stream (`stream` + optional `endAt`: the `durationSeconds` before that
 * wall-clock time, default now, within the last LIVE_CLIP_WINDOW_SECONDS).
 */
export const CreateClipBody = z
  .object({
    videoId: VideoId.optional(),
    startSeconds: z.number().nonnegative().optional(),
    stream: PublicId.optional(),
    endAt: z.iso.datetime({ offset: true }).optional(),
    durationSeconds: z.number().min(CLIP_MIN_SECONDS).max(CLIP_MAX_SECONDS),
    title: StreamName.optional(),
  })
  .refine((b) => (b.videoId === undefined) !== (b.stream === undefined), {
    message: "give either videoId (with startSeconds) or stream",
  })
  .refine((b) => b.videoId === undefined || b.startSeconds !== undefined, {
    message: "startSeconds is required with videoId",
  });
export type CreateClipBody = z.infer<typeof CreateClipBody>;

/** `PUT /stream/:publicId/settings` (with the stream key as Bearer token) and its answer. */
export const StreamSettings = z.object({
  /** Record this stream's broadcasts (on unless the streamer turns it off; the operator's RECORDING wins). */
  recording: z.boolean(),
});
export type StreamSettings = z.infer<typeof StreamSettings>;

// ---- internal (Authorization: Bearer <INTERNAL_TOKEN>) ----

/**
 * media → manager: `PUT /internal/recordings/:videoId`, when a recording starts, every few seconds while it
 * grows, and when it is finished (state `ready`; also sent for unfinished recordings a restarted node
 * finalised). Idempotent; a `recording` report never turns a `ready` video back.
 */
export const RecordingReport = z.object({
  videoId: VideoId,
  publicId: PublicId,
  /** The media node holding the files (MediaNodeHeartbeat.id). */
  node: z.string().min(1).max(64),
  /** The live session recorded (ReportOrigin.session); a reconnect within the grace continues it. */
  session: z.string().min(1).max(64),
  state: VideoState,
  /** ms since 1970: the first recorded frame's wall-clock time. */
  startedAt: z.number().int().nonnegative(),
  /** ms since 1970, null while recording. */
  endedAt: z.number().int().nonnegative().nullable(),
  durationSeconds: z.number().nonnegative(),
  /** Bytes on disk (segments, inits, playlists' indexes, thumbnail). */
  bytes: z.number().int().nonnegative(),
});
export type RecordingReport = z.infer<typeof RecordingReport>;

/**
 * manager → media: `POST /internal/clips`. Copies whole segments of every rung of recording `videoId`
 * covering the range into clip `clipId`. `offset`: `startSeconds` into the recording's timeline;
 * `wall`: the `durationSeconds` before `endAtMs` (a live clip). 404 when the recording is unknown, 422 when the
 * range holds no recorded segment.
 */
export const ClipCutRequest = z.object({
  clipId: ClipId,
  videoId: VideoId,
  range: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("offset"), startSeconds: z.number().nonnegative() }),
    z.object({ kind: z.literal("wall"), endAtMs: z.number().int().nonnegative() }),
  ]),
  durationSeconds: z.number().min(CLIP_MIN_SECONDS).max(CLIP_MAX_SECONDS),
});
export type ClipCutRequest = z.infer<typeof ClipCutRequest>;

/** media → manager: what was cut. */
export const ClipCutResult = z.object({
  clipId: ClipId,
  /** ms since 1970: the first copied segment's program date-time. */
  startedAt: z.number().int().nonnegative(),
  durationSeconds: z.number().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
export type ClipCutResult = z.infer<typeof ClipCutResult>;

// manager → media: `DELETE /internal/recordings/:videoId` and `DELETE /internal/clips/:clipId` (files gone; 204,
// also when there was nothing to delete).
// manager → chat: `DELETE /internal/rooms/:publicId/messages?from=<ms>&to=<ms>` (a deleted recording's chat).
