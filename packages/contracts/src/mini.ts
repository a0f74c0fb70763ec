/**
 * `@hearth/contracts/mini`: the wire formats the browser parses, in zod/mini (~9 KB gzip against classic
 * zod's ~28 KB), so the islands validate with the contracts instead of hand-written mirrors and /watch stays
 * within its JavaScript budget.
 *
 * The chat protocol is defined here once (chat.ts is written in zod/mini; the chat server parses with the
 * same schemas). The public API bodies below are the browser's view of schemas the manager defines in
 * classic zod (streams.ts, admin.ts, error.ts: the manager builds its OpenAPI document from those);
 * mini.test.ts checks that each pair has the same JSON Schema, so the two cannot drift apart.
 *
 * Why those bodies are written twice (a decision, measured): one definition cannot serve both sides. The
 * manager's schemas must be classic zod, because @hono/zod-openapi names and documents them with `.openapi()` /
 * `.meta()`, which zod/mini schemas lack (handing it a mini schema throws a TypeError when the document is built);
 * and the browser cannot take the classic ones, which would add ~19 KB gzip to every island and push /watch over
 * its budget (apps/web/scripts/bundle-size.ts). The JSON-Schema equality test is the single source of truth.
 */
import * as z from "zod/mini";
import { PUBLIC_ID_CHARS } from "./public-id-chars.ts";

export * from "./chat.ts";
export * from "./clip-limits.ts";
export { PUBLIC_ID_CHARS };

const int = () => z.number().check(z.int());
const nonNegativeInt = () => z.number().check(z.int(), z.nonnegative());
const Quality = z.enum(["full", "reduced", "source"]);

/** streams.ts PublicId. */
export const PublicId = z
  .string()
  .check(
    z.regex(new RegExp(`^${PUBLIC_ID_CHARS}$`), "public ids are 8-32 characters of A-Z, a-z, 0-9, _ and -"),
  );

/** streams.ts Rung. */
export const Rung = z.object({
  name: z.string(),
  bandwidth: nonNegativeInt(),
  width: nonNegativeInt(),
  height: nonNegativeInt(),
  playlist: z.optional(z.string()),
});
export type Rung = z.infer<typeof Rung>;

/** streams.ts StreamSummary. */
export const StreamSummary = z.object({
  publicId: PublicId,
  name: z.string(),
  live: z.boolean(),
  reconnecting: z._default(z.boolean(), false),
  quality: z._default(z.nullable(Quality), null),
  realtime: z._default(z.boolean(), true),
  watchUrl: z.string(),
  hlsUrl: z.string(),
  chatUrl: z.string(),
  thumbnailUrl: z.string(),
  viewers: nonNegativeInt(),
  createdAt: z.string(),
  startedAt: z.nullable(z.string()),
});
export type StreamSummary = z.infer<typeof StreamSummary>;

/** streams.ts StreamList. */
export const StreamList = z.object({ streams: z.array(StreamSummary), nextCursor: z.nullable(z.string()) });
export type StreamList = z.infer<typeof StreamList>;

/** streams.ts StartedStream: the only body that carries the stream key. */
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

/** streams.ts StreamLookup. */
export const StreamLookup = z.object({
  publicId: PublicId,
  name: z.string(),
  live: z.boolean(),
  reconnecting: z._default(z.boolean(), false),
  quality: z._default(z.nullable(Quality), null),
  realtime: z._default(z.boolean(), true),
  hlsUrl: z.string(),
  chatUrl: z.string(),
  rungs: z.array(Rung),
  dvr: z._default(z.nullable(z.object({ videoId: z.string(), hlsUrl: z.string() })), null),
  refusal: z._default(
    z.nullable(
      z.object({
        code: z.string(),
        message: z.string(),
        at: z.string(),
        retryAfterSeconds: z.nullable(nonNegativeInt()),
      }),
    ),
    null,
  ),
});
export type StreamLookup = z.infer<typeof StreamLookup>;

/** streams.ts WhipInfo. */
export const WhipInfo = z.object({ whipUrl: z.string() });

/** error.ts ErrorBody. */
export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** admin.ts StreamCreationPolicy. */
export const StreamCreationPolicy = z.enum(["open", "token", "closed"]);
export type StreamCreationPolicy = z.infer<typeof StreamCreationPolicy>;

/** admin.ts CreationTokenInfo. */
export const CreationTokenInfo = z.object({
  id: z.string(),
  label: z.string(),
  usesLeft: z.nullable(int()),
  expiresAt: z.nullable(z.string()),
  revokedAt: z.nullable(z.string()),
  createdAt: z.string(),
});
export type CreationTokenInfo = z.infer<typeof CreationTokenInfo>;

/** admin.ts IssuedCreationToken. */
export const IssuedCreationToken = z.extend(CreationTokenInfo, { token: z.string() });
export type IssuedCreationToken = z.infer<typeof IssuedCreationToken>;

/** admin.ts CreationTokenList. */
export const CreationTokenList = z.object({ tokens: z.array(CreationTokenInfo) });

/** admin.ts AdminNode. */
export const AdminNode = z.object({
  id: z.string(),
  healthy: z.boolean(),
  heartbeatAt: z.string(),
  streams: int(),
  budgetTotal: z.nullable(z.number()),
  budgetUsed: z.nullable(z.number()),
});
export type AdminNode = z.infer<typeof AdminNode>;

/** admin.ts AdminStream. */
export const AdminStream = z.object({
  publicId: z.string(),
  name: z.string(),
  live: z.boolean(),
  reconnecting: z.boolean(),
  node: z.nullable(z.string()),
  rungs: z.array(z.string()),
  quality: z.nullable(Quality),
  realtime: z.boolean(),
  viewers: int(),
  createdAt: z.string(),
  startedAt: z.nullable(z.string()),
});
export type AdminStream = z.infer<typeof AdminStream>;

/** admin.ts AdminOverview. */
export const AdminOverview = z.object({
  policy: StreamCreationPolicy,
  nodes: z.array(AdminNode),
  streams: z.array(AdminStream),
});
export type AdminOverview = z.infer<typeof AdminOverview>;

const VideoIdMini = z
  .string()
  .check(z.regex(/^[a-z0-9]{8,32}$/, "video ids are 8-32 characters of a-z and 0-9"));
const ClipIdMini = z
  .string()
  .check(z.regex(/^[a-z0-9]{8,32}$/, "clip ids are 8-32 characters of a-z and 0-9"));
const nonNegative = () => z.number().check(z.nonnegative());

/** recordings.ts Video. */
export const Video = z.object({
  videoId: VideoIdMini,
  publicId: PublicId,
  title: z.string(),
  state: z.enum(["recording", "ready"]),
  startedAt: z.string(),
  endedAt: z.nullable(z.string()),
  durationSeconds: nonNegative(),
  peakViewers: nonNegativeInt(),
  hlsUrl: z.string(),
  thumbnailUrl: z.string(),
  watchUrl: z.string(),
  chatReplayUrl: z.string(),
});
export type Video = z.infer<typeof Video>;

/** recordings.ts VideoList. */
export const VideoList = z.object({ videos: z.array(Video), nextCursor: z.nullable(z.string()) });
export type VideoList = z.infer<typeof VideoList>;

/** recordings.ts Clip. */
export const Clip = z.object({
  clipId: ClipIdMini,
  publicId: PublicId,
  videoId: z.nullable(VideoIdMini),
  title: z.string(),
  createdAt: z.string(),
  startedAt: z.string(),
  durationSeconds: nonNegative(),
  hlsUrl: z.string(),
  thumbnailUrl: z.string(),
  watchUrl: z.string(),
});
export type Clip = z.infer<typeof Clip>;

/** recordings.ts ClipList. */
export const ClipList = z.object({ clips: z.array(Clip), nextCursor: z.nullable(z.string()) });
export type ClipList = z.infer<typeof ClipList>;

/** recordings.ts StreamSettings. */
export const StreamSettings = z.object({ recording: z.boolean() });
export type StreamSettings = z.infer<typeof StreamSettings>;
