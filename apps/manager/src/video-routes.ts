import {
  chatReplayUrl,
  PublicId,
  type Video as VideoBody,
  videoPageUrl,
  vodMasterUrl,
  vodThumbnailUrl,
} from "@hearth/contracts";
import { HttpError } from "@hearth/server-kit";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { errorResponse, jsonResponse, ListQuery, Video, VideoIdParam, VideoList } from "./api-schemas.ts";
import { decodeTimeCursor, encodeTimeCursor } from "./keyset-cursor.ts";
import { type OwnerCheck, requireOwnerOrAdmin } from "./owner-auth.ts";
import type { PageCache } from "./page-cache.ts";
import { registerBearerScheme } from "./security-schemes.ts";
import type { StreamStore } from "./stream-store.ts";
import { rejectInvalid } from "./validation-hook.ts";
import { deleteVideo, type VideoDeletionDeps } from "./video-deletion.ts";
import type { ListedVideo, VideoStore } from "./video-store.ts";

export interface VideoRouteDeps extends Omit<VideoDeletionDeps, "videos" | "onDeleted"> {
  videos: VideoStore;
  store: Pick<StreamStore, "get">;
  owners: OwnerCheck;
  pages: PageCache;
  /** Base of the web app's pages, e.g. http://localhost:8080. */
  publicWebUrl: string;
}

/** A video as the public sees it, built field by field (the row's node and size stay inside). */
export function toVideo(row: ListedVideo, webUrl: string): VideoBody {
  return {
    videoId: row.id,
    publicId: row.publicId,
    title: row.title,
    state: row.state === "ready" ? "ready" : "recording",
    startedAt: row.startedAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    durationSeconds: row.durationSeconds,
    peakViewers: row.peakViewers,
    hlsUrl: vodMasterUrl(row.hlsBase, row.id),
    thumbnailUrl: vodThumbnailUrl(row.hlsBase, row.id),
    watchUrl: videoPageUrl(webUrl, row.id),
    chatReplayUrl: chatReplayUrl(row.chatUrl, row.startedAt.getTime(), row.endedAt?.getTime() ?? null),
  };
}

// Either one: the stream's key or the operator's token.
const security: Record<string, string[]>[] = [{ streamKey: [] }, { adminToken: [] }];

const listVideos = createRoute({
  method: "get",
  path: "/videos",
  summary: "Past broadcasts, newest first",
  description:
    "Without `stream`: every stream's finished videos. With `stream`: that stream's videos, the one recording " +
    "now included (state `recording`).",
  request: {
    query: ListQuery.extend({
      stream: PublicId.optional().openapi({ description: "a stream's public id" }),
    }),
  },
  responses: {
    200: jsonResponse("a page of videos", VideoList),
    400: errorResponse("bad stream, limit or cursor"),
  },
});

const getVideo = createRoute({
  method: "get",
  path: "/video/{videoId}",
  summary: "One video",
  request: { params: VideoIdParam },
  responses: {
    200: jsonResponse("the video", Video),
    400: errorResponse("bad video id"),
    404: errorResponse("unknown (or deleted) video"),
  },
});

const removeVideo = createRoute({
  method: "delete",
  path: "/video/{videoId}",
  summary: "Delete a finished video: its files, its chat, its row (its clips stay)",
  description: "Authorization: Bearer <the key of the video's stream> or <ADMIN_TOKEN>.",
  security,
  request: { params: VideoIdParam },
  responses: {
    204: { description: "deleted" },
    401: errorResponse("no token"),
    403: errorResponse("neither the stream's key nor the admin token"),
    404: errorResponse("unknown video"),
    409: errorResponse("the video is still recording; end the broadcast first"),
    429: errorResponse("too many wrong tokens from this client; see Retry-After"),
    503: errorResponse("the media node or chat could not delete now; the video is kept"),
  },
});

/** The public videos API (past broadcasts). */
export function videoRoutes(deps: VideoRouteDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  registerBearerScheme(app, "adminToken");

  app.openapi(listVideos, async (c) => {
    const { limit, cursor: raw, stream } = c.req.valid("query");
    const cursor = raw ? decodeTimeCursor(raw) : undefined;
    const body = await deps.pages.get(`videos|${stream ?? ""}|${limit}|${raw ?? ""}`, async () => {
      const rows = await deps.videos.list({
        limit,
        ...(stream === undefined ? {} : { publicId: stream }),
        ...(cursor ? { cursor: { startedAt: cursor.at, id: cursor.id } } : {}),
      });
      const last = rows.length === limit ? rows[rows.length - 1] : undefined;
      return JSON.stringify({
        videos: rows.map((r) => toVideo(r, deps.publicWebUrl)),
        nextCursor: last ? encodeTimeCursor(last.startedAt, last.id) : null,
      });
    });
    return c.body(body, 200, { "content-type": "application/json" }) as never;
  });

  app.openapi(getVideo, async (c) => {
    const row = await deps.videos.listed(c.req.valid("param").videoId);
    if (!row) throw new HttpError(404, "not_found", "no video with that id");
    return c.json(toVideo(row, deps.publicWebUrl), 200);
  });

  app.openapi(removeVideo, async (c) => {
    const row = await deps.videos.listed(c.req.valid("param").videoId);
    if (!row) throw new HttpError(404, "not_found", "no video with that id");
    const stream = await deps.store.get(row.publicId);
    // The stream row outlives its videos (streams that went live are never swept); no key, then admin only.
    const by = requireOwnerOrAdmin(c, deps.owners, stream?.keyHash ?? "");
    if (row.state === "recording")
      throw new HttpError(409, "still_recording", "this video is still recording; end the broadcast first");
    await deleteVideo({ ...deps, onDeleted: () => deps.pages.clear() }, row, by);
    return c.body(null, 204);
  });

  return app;
}
