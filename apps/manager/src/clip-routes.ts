import {
  type Clip as ClipBody,
  type ClipCutRequest,
  type ClipCutResult,
  type CreateClipBody as ClipRequest,
  clipMasterUrl,
  clipPageUrl,
  clipThumbnailUrl,
  LIVE_CLIP_WINDOW_SECONDS,
  PublicId,
  VideoId,
} from "@hearth/contracts";
import { HttpError, type Logger, UpstreamError } from "@hearth/server-kit";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  Clip,
  ClipIdParam,
  ClipList,
  CreateClipBody,
  errorResponse,
  jsonResponse,
  ListQuery,
} from "./api-schemas.ts";
import { limitKey, requestClientAddress } from "./client-ip.ts";
import { type ClipRow, type ClipStore, newClipId } from "./clip-store.ts";
import { decodeTimeCursor, encodeTimeCursor } from "./keyset-cursor.ts";
import { type OwnerCheck, requireOwnerOrAdmin } from "./owner-auth.ts";
import type { Clock, TokenBuckets } from "./rate-limit.ts";
import type { RecordingFiles } from "./recording-files.ts";
import type { StreamStore } from "./stream-store.ts";
import { rejectInvalid } from "./validation-hook.ts";
import type { VideoRow, VideoStore } from "./video-store.ts";

export interface ClipRouteDeps {
  clips: ClipStore;
  videos: Pick<VideoStore, "get" | "recordingOf">;
  store: Pick<StreamStore, "get">;
  files: RecordingFiles;
  owners: OwnerCheck;
  /** Clips made per client key (CLIP_RATE_PER_HOUR, CLIP_BURST). */
  buckets: TokenBuckets;
  logger: Logger;
  clock: Clock;
  /** Base of the web app's pages. */
  publicWebUrl: string;
}

/** A clip as the public sees it (its node, size and maker's address stay inside). */
export function toClip(row: ClipRow, webUrl: string): ClipBody {
  return {
    clipId: row.id,
    publicId: row.publicId,
    videoId: row.videoId,
    title: row.title,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt.toISOString(),
    durationSeconds: row.durationSeconds,
    hlsUrl: clipMasterUrl(row.hlsBase, row.id),
    thumbnailUrl: clipThumbnailUrl(row.hlsBase, row.id),
    watchUrl: clipPageUrl(webUrl, row.id),
  };
}

const createClip = createRoute({
  method: "post",
  path: "/clips",
  summary: "Cut a 5-60 s clip from a video or from a live stream's last two minutes",
  description:
    "From a video: `videoId` + `startSeconds` (on the video's timeline). From a live stream: `stream` + " +
    `optional \`endAt\` (default now, within the last ${LIVE_CLIP_WINDOW_SECONDS} s). Cut on segment boundaries ` +
    "without re-encoding. Limited per client (a token bucket).",
  request: { body: { required: true, content: { "application/json": { schema: CreateClipBody } } } },
  responses: {
    201: jsonResponse("the clip", Clip),
    400: errorResponse("bad body"),
    404: errorResponse("unknown video or stream"),
    409: errorResponse("the stream is not live, or not being recorded"),
    422: errorResponse("the range is outside the recording or the live window"),
    429: {
      ...errorResponse("too many clips from this client; see Retry-After"),
      headers: { "Retry-After": { description: "seconds to wait", schema: { type: "integer" as const } } },
    },
    503: errorResponse("the media node could not cut now; nothing was made"),
  },
});

const getClip = createRoute({
  method: "get",
  path: "/clip/{clipId}",
  summary: "One clip",
  request: { params: ClipIdParam },
  responses: { 200: jsonResponse("the clip", Clip), 404: errorResponse("unknown clip") },
});

const listClips = createRoute({
  method: "get",
  path: "/clips",
  summary: "Clips, newest first; of one stream and/or one video when asked",
  request: {
    query: ListQuery.extend({
      stream: PublicId.optional().openapi({ description: "a stream's public id" }),
      video: VideoId.optional().openapi({ description: "a video's id" }),
    }),
  },
  responses: { 200: jsonResponse("a page of clips", ClipList), 400: errorResponse("bad query") },
});

const removeClip = createRoute({
  method: "delete",
  path: "/clip/{clipId}",
  summary: "Delete a clip (its files and its row)",
  description: "Authorization: Bearer <the key of the clip's stream> or <ADMIN_TOKEN>.",
  security: [{ streamKey: [] }, { adminToken: [] }] as Record<string, string[]>[],
  request: { params: ClipIdParam },
  responses: {
    204: { description: "deleted" },
    401: errorResponse("no token"),
    403: errorResponse("neither the stream's key nor the admin token"),
    404: errorResponse("unknown clip"),
    429: errorResponse("too many wrong tokens from this client; see Retry-After"),
    503: errorResponse("the media node could not delete now; the clip is kept"),
  },
});

/** The media node's refusal of a cut, as the public should read it. */
function cutRefusal(err: unknown): HttpError {
  if (err instanceof UpstreamError && err.status === 404)
    return new HttpError(404, "recording_not_found", "the media node no longer holds that recording");
  if (err instanceof UpstreamError && err.status === 422)
    return new HttpError(
      422,
      "clip_range_empty",
      "no recorded media in that range; pick a range inside the video",
    );
  return new HttpError(503, "upstream_unavailable", "the media node could not cut the clip now; try again", {
    "Retry-After": "5",
  });
}

/** The public clips API. */
export function clipRoutes(deps: ClipRouteDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });

  /** The recording and cut range a clip request names, or the refusal a person can act on. */
  async function source(
    body: ClipRequest,
  ): Promise<{ video: VideoRow; range: ClipCutRequest["range"]; title: string }> {
    if (body.videoId !== undefined) {
      const video = await deps.videos.get(body.videoId);
      if (!video) throw new HttpError(404, "not_found", "no video with that id");
      const start = body.startSeconds ?? 0;
      if (start >= video.durationSeconds)
        throw new HttpError(
          422,
          "clip_out_of_range",
          `startSeconds must be before the video's end (${video.durationSeconds.toFixed(1)} s)`,
        );
      return { video, range: { kind: "offset", startSeconds: start }, title: body.title ?? video.title };
    }
    const publicId = body.stream ?? "";
    const stream = await deps.store.get(publicId);
    if (!stream) throw new HttpError(404, "not_found", "no stream with that public id");
    if (!stream.live)
      throw new HttpError(409, "stream_offline", "the stream is not live; clip one of its videos");
    const video = stream.stateSession
      ? await deps.videos.recordingOf(publicId, stream.stateSession)
      : undefined;
    if (!video)
      throw new HttpError(
        409,
        "not_recorded",
        "this broadcast is not being recorded, so it cannot be clipped",
      );
    const now = deps.clock();
    const endAtMs = body.endAt === undefined ? now : Date.parse(body.endAt);
    if (endAtMs > now || endAtMs < now - LIVE_CLIP_WINDOW_SECONDS * 1000)
      throw new HttpError(
        422,
        "clip_out_of_window",
        `endAt must be within the last ${LIVE_CLIP_WINDOW_SECONDS} seconds (and not in the future)`,
      );
    return { video, range: { kind: "wall", endAtMs: Math.floor(endAtMs) }, title: body.title ?? stream.name };
  }

  app.openapi(createClip, async (c) => {
    const body = c.req.valid("json");
    const client = limitKey(requestClientAddress(c, deps.owners.trustedProxies));
    const took = deps.buckets.take(client);
    if (!took.ok)
      throw new HttpError(429, "rate_limited", "too many clips made from your address", {
        "Retry-After": String(took.retryAfterSeconds),
      });
    const { video, range, title } = await source(body);
    const clipId = newClipId();
    let cut: ClipCutResult;
    try {
      cut = await deps.files.cutClip(video.node, {
        clipId,
        videoId: video.id,
        range,
        durationSeconds: body.durationSeconds,
      });
    } catch (err) {
      deps.logger.warn("clip cut failed", { clipId, videoId: video.id, err: (err as Error).message });
      throw cutRefusal(err);
    }
    let row: ClipRow;
    try {
      row = await deps.clips.create({
        id: clipId,
        publicId: video.publicId,
        videoId: video.id,
        node: video.node,
        title,
        startedAt: new Date(cut.startedAt),
        durationSeconds: cut.durationSeconds,
        bytes: cut.bytes,
        hlsBase: video.hlsBase,
        creatorIp: client,
        createdAt: new Date(deps.clock()),
      });
    } catch (err) {
      // No row, no clip: the copied files would be unreachable, so they go.
      await deps.files.deleteClip(video.node, clipId).catch(() => {});
      throw err;
    }
    deps.logger.info("clip made", { clipId, videoId: video.id, publicId: video.publicId });
    return c.json(toClip(row, deps.publicWebUrl), 201);
  });

  app.openapi(getClip, async (c) => {
    const row = await deps.clips.get(c.req.valid("param").clipId);
    if (!row) throw new HttpError(404, "not_found", "no clip with that id");
    return c.json(toClip(row, deps.publicWebUrl), 200);
  });

  app.openapi(listClips, async (c) => {
    const { limit, cursor: raw, stream, video } = c.req.valid("query");
    const cursor = raw ? decodeTimeCursor(raw) : undefined;
    const rows = await deps.clips.list({
      limit,
      ...(stream === undefined ? {} : { publicId: stream }),
      ...(video === undefined ? {} : { videoId: video }),
      ...(cursor ? { cursor: { createdAt: cursor.at, id: cursor.id } } : {}),
    });
    const last = rows.length === limit ? rows[rows.length - 1] : undefined;
    return c.json(
      {
        clips: rows.map((r) => toClip(r, deps.publicWebUrl)),
        nextCursor: last ? encodeTimeCursor(last.createdAt, last.id) : null,
      },
      200,
    );
  });

  app.openapi(removeClip, async (c) => {
    const row = await deps.clips.get(c.req.valid("param").clipId);
    if (!row) throw new HttpError(404, "not_found", "no clip with that id");
    const stream = await deps.store.get(row.publicId);
    const by = requireOwnerOrAdmin(c, deps.owners, stream?.keyHash ?? "");
    try {
      await deps.files.deleteClip(row.node, row.id);
    } catch (err) {
      deps.logger.warn("clip deletion: the media node did not confirm; the clip is kept", {
        clipId: row.id,
        err: (err as Error).message,
      });
      throw new HttpError(
        503,
        "upstream_unavailable",
        "the clip's files could not be deleted now; try again",
        {
          "Retry-After": "5",
        },
      );
    }
    await deps.clips.remove(row.id);
    deps.logger.info("clip deleted", { clipId: row.id, by });
    return c.body(null, 204);
  });

  return app;
}
