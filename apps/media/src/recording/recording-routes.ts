import { ClipCutRequest, ClipId, VideoId } from "@hearth/contracts";
import { HttpError, type Logger } from "@hearth/server-kit";
import { Hono } from "hono";
import { HLS_CORS, hlsError } from "../hls-responses.ts";
import { ClipCutError, cutClip } from "./clip-cutter.ts";
import type { LiveRecordings } from "./live-recordings.ts";
import type { ThumbnailMaker } from "./recording-thumbnail.ts";
import { aligned } from "./rung-alignment.ts";
import {
  type Collection,
  type IndexEntry,
  parseMediaName,
  type RecordingMeta,
  type RecordingStorage,
} from "./storage.ts";
import { renderRecordingMaster, renderRecordingPlaylist } from "./vod-playlist.ts";

const PLAYLIST = "application/vnd.apple.mpegurl";
const IMMUTABLE = "public, max-age=31536000, immutable";
/**
 * A finished VOD's (or clip's) playlists never change, but a deleted video must stop playing: players start from
 * the playlists, so the tiers and browsers keep those a minute, not a year (one revalidation a minute per
 * video at each tier), and a deletion reaches every new viewer within that minute. Segments stay immutable.
 */
const FINISHED = "public, max-age=60";
/** An EVENT playlist gains a segment every target duration: a CDN may keep it about that long. */
const GROWING = "public, max-age=1";
const RUNG = /^[a-z0-9_-]{1,16}$/;
/** Longest a live clip waits for its last segment (a segment plus its write), well inside the manager's 5 s call timeout. */
const LIVE_CLIP_WAIT_MS = 2000;

export interface RecordingRoutesDeps {
  storage: RecordingStorage;
  /** Recordings still being written by this node (EVENT playlists); everything else stored is finished. */
  live: LiveRecordings;
}

const notFound = (what: string) => hlsError(404, "not_found", `no such ${what}`);

/**
 * `/hls/vod/<videoId>/...` (collection `recordings`) or `/hls/clips/<clipId>/...` (`clips`): master.m3u8,
 * `<rung>/index.m3u8`, `<rung>/init-<n>.mp4`, `<rung>/seg-<msn>.m4s` and thumb.jpg, read from storage.
 */
/** Every rung's index, trimmed to the rungs' common start (rung-alignment.ts). */
async function alignedIndexes(
  storage: RecordingStorage,
  collection: Collection,
  id: string,
  meta: RecordingMeta,
): Promise<Map<string, IndexEntry[]>> {
  const raw = new Map<string, IndexEntry[]>();
  for (const r of meta.rungs) raw.set(r.name, await storage.readIndex(collection, id, r.name));
  return aligned(raw);
}

export function recordingRoutes(collection: Collection, deps: RecordingRoutesDeps): Hono {
  const app = new Hono();
  const Id = collection === "recordings" ? VideoId : ClipId;
  const what = collection === "recordings" ? "video" : "clip";
  const finished = (id: string) => collection === "clips" || !deps.live.has(id);
  const idOf = (raw: string) => (Id.safeParse(raw).success ? raw : null);

  app.options("/*", () => new Response(null, { status: 204, headers: HLS_CORS }));
  app.get("/:id/master.m3u8", async (c) => {
    const id = idOf(c.req.param("id"));
    const meta = id ? await deps.storage.readMeta(collection, id) : null;
    if (!id || !meta) return notFound(what);
    const indexes = await alignedIndexes(deps.storage, collection, id, meta);
    const rungs = meta.rungs.map((rung) => ({ rung, entries: indexes.get(rung.name) ?? [] }));
    if (!rungs.some((r) => r.entries.length > 0))
      return hlsError(404, "not_found", `the ${what} has no segment yet`);
    return new Response(renderRecordingMaster(rungs), {
      headers: { ...HLS_CORS, "Content-Type": PLAYLIST, "Cache-Control": finished(id) ? FINISHED : GROWING },
    });
  });
  app.on(["GET", "HEAD"], "/:id/thumb.jpg", async (c) => {
    const id = idOf(c.req.param("id"));
    const file = id ? await deps.storage.openThumbnail(collection, id) : null;
    if (!id || !file) return notFound("thumbnail");
    // A growing recording's preview is replaced by the live one at its end: not kept forever.
    const headers = {
      ...HLS_CORS,
      "Content-Type": "image/jpeg",
      "Cache-Control": finished(id) ? "public, max-age=3600" : "public, max-age=5",
    };
    if (c.req.method === "HEAD")
      return new Response(null, { headers: { ...headers, "Content-Length": String(file.size) } });
    return new Response(await file.arrayBuffer(), { headers });
  });
  app.get("/:id/:rung/:file", async (c) => {
    const id = idOf(c.req.param("id"));
    const rung = c.req.param("rung");
    const file = c.req.param("file");
    if (!id || !RUNG.test(rung)) return notFound(what);
    if (file === "index.m3u8") {
      const meta = await deps.storage.readMeta(collection, id);
      if (!meta?.rungs.some((r) => r.name === rung)) return notFound(what);
      const done = finished(id);
      const indexes = await alignedIndexes(deps.storage, collection, id, meta);
      const body = renderRecordingPlaylist(indexes.get(rung) ?? [], done);
      return new Response(body, {
        headers: { ...HLS_CORS, "Content-Type": PLAYLIST, "Cache-Control": done ? FINISHED : GROWING },
      });
    }
    const ref = parseMediaName(file);
    const blob = ref ? await deps.storage.openMedia(collection, id, rung, ref) : null;
    if (!blob) return notFound("segment");
    return new Response(blob, {
      headers: { ...HLS_CORS, "Content-Type": "video/mp4", "Cache-Control": IMMUTABLE },
    });
  });
  return app;
}

export interface RecordingInternalDeps extends RecordingRoutesDeps {
  thumbnail?: ThumbnailMaker;
  logger: Logger;
  now?: () => number;
}

/** The manager's side: `POST /clips`, `DELETE /recordings/:videoId`, `DELETE /clips/:clipId` (under /internal). */
export function recordingInternalRoutes(deps: RecordingInternalDeps): Hono {
  const app = new Hono();
  app.post("/clips", async (c) => {
    const body = ClipCutRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success)
      throw new HttpError(400, "invalid_input", body.error.issues[0]?.message ?? "bad clip request");
    const { range, videoId } = body.data;
    // A live clip ending now: its last seconds are still in the open segment; wait (briefly) until they land.
    if (range.kind === "wall")
      await deps.live.get(videoId)?.recordedUntil?.(range.endAtMs, LIVE_CLIP_WAIT_MS);
    try {
      const result = await cutClip(deps.storage, body.data, {
        ...(deps.thumbnail ? { thumbnail: deps.thumbnail } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      });
      deps.logger.info("clip cut", { clipId: result.clipId, videoId: body.data.videoId });
      return c.json(result, 201);
    } catch (err) {
      if (err instanceof ClipCutError) {
        if (err.reason === "unknown_recording") throw new HttpError(404, "not_found", err.message);
        throw new HttpError(422, "empty_range", err.message);
      }
      throw err;
    }
  });
  app.delete("/recordings/:videoId", async (c) => {
    const id = VideoId.safeParse(c.req.param("videoId"));
    if (!id.success) throw new HttpError(400, "invalid_input", "bad video id");
    // A recording still being written stops first, so no late write brings a file back.
    await deps.live.get(id.data)?.abandon();
    await deps.storage.remove("recordings", id.data);
    return c.body(null, 204);
  });
  app.delete("/clips/:clipId", async (c) => {
    const id = ClipId.safeParse(c.req.param("clipId"));
    if (!id.success) throw new HttpError(400, "invalid_input", "bad clip id");
    await deps.storage.remove("clips", id.data);
    return c.body(null, 204);
  });
  return app;
}
