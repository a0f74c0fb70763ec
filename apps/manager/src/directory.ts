import {
  hlsBaseOf,
  type Rung,
  type StreamList,
  type StreamLookup,
  type StreamSummary,
  thumbnailUrl,
  vodMasterUrl,
} from "@hearth/contracts";
import { HttpError } from "@hearth/server-kit";
import type { DirectoryCursor, StreamRow } from "./stream-store.ts";
import type { VideoRow } from "./video-store.ts";
import type { ViewerCounts } from "./viewer-counts.ts";

/** The directory of a playlist URL, where the media node also puts thumb.jpg and the variants. */
function hlsDir(hlsUrl: string): string {
  return hlsUrl.slice(0, hlsUrl.lastIndexOf("/") + 1);
}

/**
 * The stream's preview image, from the URL layout in the contracts. A row whose playlist URL is not in that
 * layout (written by hand, or by an older version) gets the image beside its playlist: one odd row must not
 * break the whole directory.
 */
function thumbnailOf(row: StreamRow): string {
  try {
    return thumbnailUrl(hlsBaseOf(row.hlsUrl, row.publicId), row.publicId);
  } catch {
    return `${hlsDir(row.hlsUrl)}thumb.jpg`;
  }
}

/** A stream as the public sees it. Built field by field so the key hash can never slip through. */
export function toSummary(row: StreamRow, webUrl: string, viewers: ViewerCounts): StreamSummary {
  return {
    publicId: row.publicId,
    name: row.name,
    live: row.live,
    reconnecting: row.live && row.reconnecting,
    quality: row.live ? (row.quality?.level ?? null) : null,
    realtime: row.quality?.realtime ?? true,
    watchUrl: `${webUrl}/watch/${row.publicId}`,
    hlsUrl: row.hlsUrl,
    chatUrl: row.chatUrl,
    thumbnailUrl: thumbnailOf(row),
    viewers: row.live ? viewers.get(row.publicId) : 0,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
  };
}

/** A directory page and the cursor of the next one. */
export function toList(rows: StreamRow[], limit: number, webUrl: string, viewers: ViewerCounts): StreamList {
  const last = rows.length === limit ? rows[rows.length - 1] : undefined;
  return {
    streams: rows.map((r) => toSummary(r, webUrl, viewers)),
    nextCursor: last
      ? encodeCursor({ live: last.live, createdAt: last.createdAt, publicId: last.publicId })
      : null,
  };
}

/** Cursors are opaque to clients: base64url of the sort key. */
export function encodeCursor(c: DirectoryCursor): string {
  return Buffer.from(JSON.stringify([c.live ? 1 : 0, c.createdAt.toISOString(), c.publicId])).toString(
    "base64url",
  );
}

/** Decodes a cursor, or answers 400 for anything that is not one of ours. */
export function decodeCursor(raw: string): DirectoryCursor {
  try {
    const [live, at, publicId] = JSON.parse(Buffer.from(raw, "base64url").toString()) as unknown[];
    const createdAt = new Date(String(at));
    if ((live === 0 || live === 1) && typeof publicId === "string" && !Number.isNaN(createdAt.getTime())) {
      return { live: live === 1, createdAt, publicId };
    }
  } catch {
    // fall through to the 400
  }
  throw new HttpError(400, "bad_cursor", "cursor is not one this API issued");
}

/** The rung to play for a bitrate cap: the best that fits under it (the top one for a large cap), else the smallest. */
export function pickRung(rungs: readonly Rung[], bitrate: number): Rung | undefined {
  const byBandwidth = [...rungs].sort((a, b) => b.bandwidth - a.bandwidth);
  return byBandwidth.find((r) => r.bandwidth <= bitrate) ?? byBandwidth[byBandwidth.length - 1];
}

/**
 * The answer to GET /stream/:publicId, with the playlist chosen for the bitrate when one is asked for, and the
 * live session's recording (its EVENT playlist: live rewind) when there is one.
 */
export function toLookup(
  row: StreamRow,
  bitrate: number | undefined,
  recording?: Pick<VideoRow, "id" | "hlsBase">,
): StreamLookup {
  const rungs: Rung[] = row.rungs.map((r) => ({ ...r }));
  const rung = bitrate === undefined ? undefined : pickRung(rungs, bitrate);
  const hlsUrl = rung ? `${hlsDir(row.hlsUrl)}${rung.playlist ?? `${rung.name}/index.m3u8`}` : row.hlsUrl;
  return {
    publicId: row.publicId,
    name: row.name,
    live: row.live,
    reconnecting: row.live && row.reconnecting,
    quality: row.live ? (row.quality?.level ?? null) : null,
    realtime: row.quality?.realtime ?? true,
    hlsUrl,
    dvr:
      row.live && recording
        ? { videoId: recording.id, hlsUrl: vodMasterUrl(recording.hlsBase, recording.id) }
        : null,
    chatUrl: row.chatUrl,
    rungs,
    refusal:
      !row.live && row.refusal
        ? {
            code: row.refusal.code,
            message: row.refusal.message,
            at: new Date(row.refusal.at).toISOString(),
            retryAfterSeconds: row.refusal.retryAfterSeconds,
          }
        : null,
  };
}
