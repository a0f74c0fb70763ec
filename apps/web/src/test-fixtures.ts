import type { Clip, StreamLookup, StreamSummary, Video } from "@hearth/contracts/mini";
import { createLogger } from "@hearth/server-kit";
import { createApp } from "./app.ts";
import type { ManagerApi } from "./manager-api.ts";
import type { IslandBundle } from "./runtime/build-islands.ts";

/** A directory entry for tests. */
export function summary(over: Partial<StreamSummary> = {}): StreamSummary {
  const publicId = over.publicId ?? "abcdEFGH1234";
  return {
    publicId,
    name: "Test stream",
    live: true,
    reconnecting: false,
    quality: "full",
    realtime: true,
    watchUrl: `http://localhost:8080/watch/${publicId}`,
    hlsUrl: `http://localhost:8083/hls/${publicId}/master.m3u8`,
    chatUrl: `ws://localhost:8082/rooms/${publicId}`,
    thumbnailUrl: `http://localhost:8083/hls/${publicId}/thumb.jpg`,
    viewers: 3,
    createdAt: new Date(Date.now() - 120_000).toISOString(),
    startedAt: new Date(Date.now() - 65_000).toISOString(),
    ...over,
  };
}

/** A stream lookup for tests. */
export function lookup(over: Partial<StreamLookup> = {}): StreamLookup {
  const publicId = over.publicId ?? "abcdEFGH1234";
  return {
    publicId,
    name: "Test stream",
    live: true,
    reconnecting: false,
    quality: "full",
    realtime: true,
    hlsUrl: `http://localhost:8083/hls/${publicId}/master.m3u8`,
    chatUrl: `ws://localhost:8082/rooms/${publicId}`,
    dvr: null,
    refusal: null,
    rungs: [
      { name: "720p", bandwidth: 2_800_000, width: 1280, height: 720, playlist: "720p/index.m3u8" },
      { name: "360p", bandwidth: 800_000, width: 640, height: 360, playlist: "360p/index.m3u8" },
    ],
    ...over,
  };
}

/** A ready video (past broadcast) for tests. */
export function video(over: Partial<Video> = {}): Video {
  const videoId = over.videoId ?? "vid0000000000001";
  const publicId = over.publicId ?? "abcdEFGH1234";
  return {
    videoId,
    publicId,
    title: "Test stream",
    state: "ready",
    startedAt: "2026-11-28T20:00:00.000Z",
    endedAt: "2026-11-28T21:02:03.000Z",
    durationSeconds: 3723,
    peakViewers: 12,
    hlsUrl: `http://localhost:8083/hls/vod/${videoId}/master.m3u8`,
    thumbnailUrl: `http://localhost:8083/hls/vod/${videoId}/thumb.jpg`,
    watchUrl: `http://localhost:8080/videos/${videoId}`,
    chatReplayUrl: `http://localhost:8082/rooms/${publicId}/replay?from=1795550400000&to=1795554123000`,
    ...over,
  };
}

/** A clip for tests. */
export function clip(over: Partial<Clip> = {}): Clip {
  const clipId = over.clipId ?? "clip000000000001";
  return {
    clipId,
    publicId: "abcdEFGH1234",
    videoId: "vid0000000000001",
    title: "Test clip",
    createdAt: "2026-11-28T20:31:00.000Z",
    startedAt: "2026-11-28T20:30:00.000Z",
    durationSeconds: 30,
    hlsUrl: `http://localhost:8083/hls/clips/${clipId}/master.m3u8`,
    thumbnailUrl: `http://localhost:8083/hls/clips/${clipId}/thumb.jpg`,
    watchUrl: `http://localhost:8080/clips/${clipId}`,
    ...over,
  };
}

/** A ManagerApi with nothing in it (no streams, videos or clips); tests override what they need. */
export function emptyManager(over: Partial<ManagerApi> = {}): ManagerApi {
  return {
    listStreams: async () => ({ streams: [], nextCursor: null }),
    lookup: async () => null,
    listVideos: async () => ({ videos: [], nextCursor: null }),
    video: async () => null,
    clip: async () => null,
    ...over,
  };
}

/** The web app over a given ManagerApi, with a small fake bundle (the real build is tested on its own). */
export function testApp(
  manager: ManagerApi,
  bundle?: IslandBundle,
  streamCreation: "open" | "token" | "closed" = "open",
) {
  const entries = bundle?.entries ?? {
    boot: "/islands/boot-x.js",
    Directory: "/islands/Directory-x.js",
    Player: "/islands/Player-x.js",
    Chat: "/islands/Chat-x.js",
    Broadcast: "/islands/Broadcast-x.js",
    Admin: "/islands/Admin-x.js",
    VodPlayer: "/islands/VodPlayer-x.js",
    ChatReplay: "/islands/ChatReplay-x.js",
  };
  const assets = new Map([
    ["/static/favicon.svg", { body: "<svg/>", type: "image/svg+xml", immutable: false }],
    ...[...(bundle?.files ?? [])].map(
      ([p, body]) => [p, { body, type: "text/javascript; charset=utf-8", immutable: true }] as const,
    ),
  ]);
  return createApp({
    manager,
    managerUrl: "http://manager.test",
    streamCreation,
    logger: createLogger({}, { silent: true }),
    assets,
    pageAssets: {
      entries,
      scriptsFor:
        bundle?.scriptsFor ??
        ((names) => names.map((n) => (entries as Record<string, string>)[n]).filter((p) => p !== undefined)),
      css: "/static/app.css?v=1",
    },
  });
}
