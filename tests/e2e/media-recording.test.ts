/**
 * Recordings on a real media node with a real ffmpeg publisher: a broadcast becomes a VOD whose segments decode;
 * a node killed with SIGKILL leaves a VOD up to the kill once it is back; a full disk (a 1 MiB tmpfs) stops the
 * recording but not the live stream; a clip cut during the stream still plays after its recording is deleted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClipCutResult } from "@hearth/contracts";
import { startCdn } from "./cdn-harness.ts";
import { createStream, lookup, type Platform, reap, startPlatform, TOKEN, until } from "./media-harness.ts";
import { capturingLogger } from "./support/capturing-logger.ts";
import { type ControlPlane, startControlPlane } from "./support/control-plane.ts";
import { NO_CREATION_LIMITS } from "./support/creation-limits.ts";
import { type MediaNodeProcess, publishLight, spawnMediaNode } from "./support/media-node-process.ts";
import {
  decodeAll,
  fetchMaster,
  fetchMedia,
  indexLines,
  playlistSeconds,
  recordingOf,
} from "./support/recording-hls.ts";

const publishers: Bun.Subprocess[] = [];
afterAll(async () => {
  for (const p of publishers) await reap(p, 0);
});

/** Each rung's VOD: ENDLIST, a date on every segment, every segment decodes; returns the rungs' seconds. */
async function checkVod(masterUrl: string): Promise<number[]> {
  const master = await fetchMaster(masterUrl);
  expect(master.variants.length).toBeGreaterThanOrEqual(1);
  const seconds: number[] = [];
  for (const v of master.variants) {
    const url = new URL(v.uri, masterUrl).href;
    const p = await fetchMedia(url);
    expect(p.playlistType).toBe("VOD");
    expect(p.endlist).toBe(true);
    expect(p.segments.every((s) => s.programDateTime instanceof Date)).toBe(true);
    const frames = await decodeAll(url, p);
    expect(frames.every((f) => f > 0)).toBe(true);
    seconds.push(playlistSeconds(p));
  }
  return seconds;
}

describe("recording on one node (in-process platform)", () => {
  let p: Platform;
  /** The finished VOD of the first test (the CDN test reads it). */
  let vodId = "";
  beforeAll(async () => {
    p = await startPlatform();
  });
  afterAll(async () => {
    await p?.stop();
  });

  test("a 20 s broadcast becomes a VOD: master over the rungs, ENDLIST, every segment decodes", async () => {
    const stream = await createStream(p.managerUrl, "recorded");
    const pub = publishLight(`rtmp://127.0.0.1:${p.ports.rtmp}/live/${stream.privateId}`, 20);
    publishers.push(pub);
    const videoId = await until("the recording to start", 30_000, () =>
      recordingOf(p.dataDir, stream.publicId),
    );
    const master = `${p.mediaUrl}/hls/vod/${videoId}/master.m3u8`;
    // While live: an EVENT playlist (live rewind).
    const event = await until("an EVENT playlist with segments", 30_000, async () => {
      const m = await fetchMaster(master).catch(() => null);
      const v = m?.variants[0];
      if (!v) return undefined;
      const pl = await fetchMedia(new URL(v.uri, master).href);
      return pl.segments.length > 0 ? pl : undefined;
    });
    expect(event.playlistType).toBe("EVENT");
    expect(event.endlist).toBe(false);
    await pub.exited;
    const endedAt = Date.now();
    await until("the VOD to end with ENDLIST", 30_000, async () => {
      const m = await fetchMaster(master);
      const v = m.variants[0];
      return v ? (await fetchMedia(new URL(v.uri, master).href)).endlist : false;
    });
    console.log(`publisher ended -> VOD playlist with ENDLIST: ${Date.now() - endedAt} ms`);
    const seconds = await checkVod(master);
    console.log(`VOD rungs' durations: ${seconds.map((s) => s.toFixed(2)).join(", ")} s`);
    // The publisher sent 20 s; the first keyframe's wait and the last flush may trim a segment at each end.
    for (const s of seconds) expect(Math.abs(s - 20)).toBeLessThanOrEqual(2.5);
    expect((await fetch(`${p.mediaUrl}/hls/vod/${videoId}/thumb.jpg`)).headers.get("content-type")).toBe(
      "image/jpeg",
    );
    const meta = await Bun.file(join(p.dataDir, "recordings", videoId, "meta.json")).json();
    expect(meta.state).toBe("ready");
    // The manager heard it (PUT /internal/recordings/:videoId): the video is listed as ready.
    const video = await until("the manager to list the video as ready", 30_000, async () => {
      const res = await fetch(`${p.managerUrl}/video/${videoId}`);
      const v = res.ok ? ((await res.json()) as { state: string; durationSeconds: number }) : null;
      return v?.state === "ready" ? v : undefined;
    });
    expect(Math.abs(video.durationSeconds - (seconds[0] ?? 0))).toBeLessThan(0.01);
    vodId = videoId;
  }, 120_000);

  test("through the CDN (infra/cdn.sh): a finished VOD's playlists are cached a minute, its segments immutable", async () => {
    expect(vodId).not.toBe("");
    const cdn = await startCdn({ media: [{ id: "media-1", port: p.ports.mediaHttp }], accessLog: false });
    try {
      const master = `${cdn.edge}/hls/media-1/vod/${vodId}/master.m3u8`;
      const m = await fetchMaster(master);
      const variant = new URL(m.variants[0]?.uri ?? "", master).href;
      const pl = await fetchMedia(variant);
      expect(pl.endlist).toBe(true);
      const segment = new URL(pl.segments[0]?.uri ?? "", variant).href;
      for (const [url, cacheControl] of [
        [master, "public, max-age=60"],
        [variant, "public, max-age=60"],
        [segment, "public, max-age=31536000, immutable"],
      ] as const) {
        await (await fetch(url)).arrayBuffer();
        // Past a live playlist's 1 s copy (and its 100 ms window): a HIT now is the recorded rule's, not the live one's.
        await Bun.sleep(1500);
        const again = await fetch(url);
        await again.arrayBuffer();
        expect(again.status).toBe(200);
        expect(again.headers.get("cache-control")).toBe(cacheControl);
        // The second ask is the edge's own copy: the origin was asked once.
        expect(again.headers.get("x-cache-status")).toBe("HIT");
      }
    } finally {
      await cdn.stop();
    }
  }, 60_000);

  test("a clip cut during the live stream lasts its duration (± one segment) and plays after the recording is deleted", async () => {
    const stream = await createStream(p.managerUrl, "clipped");
    const pub = publishLight(`rtmp://127.0.0.1:${p.ports.rtmp}/live/${stream.privateId}`, 60);
    publishers.push(pub);
    const videoId = await until("the recording to start", 30_000, () =>
      recordingOf(p.dataDir, stream.publicId),
    );
    const lines = await until("15 s recorded", 60_000, () => {
      const l = indexLines(p.dataDir, videoId, "source");
      return l.length >= 15 ? l : undefined;
    });
    expect(lines.length).toBeGreaterThanOrEqual(15);
    const clipId = `clip${randomBytes(6).toString("hex")}`;
    const res = await fetch(`${p.mediaUrl}/internal/clips`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        clipId,
        videoId,
        // As the manager asks for a live clip: the 10 s before now (the node waits for the open segment).
        range: { kind: "wall", endAtMs: Date.now() },
        durationSeconds: 10,
      }),
    });
    expect(res.status).toBe(201);
    const cut = ClipCutResult.parse(await res.json());
    console.log(`clip of 10 s: ${cut.durationSeconds.toFixed(2)} s, ${cut.bytes} bytes`);
    expect(Math.abs(cut.durationSeconds - 10)).toBeLessThanOrEqual(1.05);
    // The recording goes while the stream is still live.
    const del = await fetch(`${p.mediaUrl}/internal/recordings/${videoId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(del.status).toBe(204);
    expect((await fetch(`${p.mediaUrl}/hls/vod/${videoId}/master.m3u8`)).status).toBe(404);
    expect(existsSync(join(p.dataDir, "recordings", videoId))).toBe(false);
    expect((await lookup(p.managerUrl, stream.publicId)).live).toBe(true);
    const seconds = await checkVod(`${p.mediaUrl}/hls/clips/${clipId}/master.m3u8`);
    for (const s of seconds) expect(Math.abs(s - 10)).toBeLessThanOrEqual(1.05);
    expect((await fetch(`${p.mediaUrl}/hls/clips/${clipId}/thumb.jpg`)).status).toBe(200);
    await reap(pub, 0);
  }, 150_000);
});

describe("a full disk", () => {
  const mountDir = mkdtempSync(join(tmpdir(), "hearth-rec-full-"));
  let mounted = false;
  let p: Platform | undefined;
  beforeAll(() => {
    // A real full disk: a 1 MiB tmpfs as DATA_DIR (needs root; skipped, and said so, where mount is refused).
    const m = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountDir]);
    mounted = m.exitCode === 0;
    if (!mounted) console.log(`full-disk test skipped: mount refused: ${m.stderr.toString().trim()}`);
  });
  afterAll(async () => {
    await p?.stop().catch(() => {});
    if (mounted) Bun.spawnSync(["umount", mountDir]);
    rmSync(mountDir, { recursive: true, force: true });
  });

  test("stops the recording (logged, counted) and never the live stream", async () => {
    if (!mounted) return;
    const hlsDir = mkdtempSync(join(tmpdir(), "hearth-rec-hls-"));
    p = await startPlatform({ DATA_DIR: mountDir, HLS_DIR: hlsDir });
    const stream = await createStream(p.managerUrl, "full disk");
    const pub = publishLight(`rtmp://127.0.0.1:${p.ports.rtmp}/live/${stream.privateId}`, 90);
    publishers.push(pub);
    const mediaUrl = p.mediaUrl;
    await until("the write error to be counted", 90_000, async () => {
      const text = await (await fetch(`${mediaUrl}/metrics`)).text();
      return /^hearth_recording_write_errors_total 1$/m.test(text);
    });
    const after = await fetchMedia(`${mediaUrl}/hls/${stream.publicId}/source/index.m3u8`);
    const msn = (after.mediaSequenceBase ?? 0) + after.segments.length;
    // The live playlist goes on past the failure.
    await until("the live stream to keep producing segments", 30_000, async () => {
      const pl = await fetchMedia(`${mediaUrl}/hls/${stream.publicId}/source/index.m3u8`);
      return (pl.mediaSequenceBase ?? 0) + pl.segments.length >= msn + 3;
    });
    expect((await lookup(p.managerUrl, stream.publicId)).live).toBe(true);
    const errors = p.logLines.filter((l) => l.includes("recording stopped: write failed"));
    expect(errors).toHaveLength(1);
    await reap(pub, 0);
    rmSync(hlsDir, { recursive: true, force: true });
  }, 180_000);
});

describe("a node killed with SIGKILL mid-broadcast", () => {
  let cp: ControlPlane | undefined;
  const nodes: MediaNodeProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "hearth-rec-crash-"));
  let managerUrl = "";
  beforeAll(async () => {
    cp = await startControlPlane({
      token: TOKEN,
      logger: capturingLogger([]),
      dbMax: 4,
      env: { ...NO_CREATION_LIMITS },
    });
    managerUrl = cp.managerUrl;
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await cp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("after the restart the recording is a finished VOD up to the kill", async () => {
    mkdirSync(join(dataDir, "hls"), { recursive: true });
    const env = { DATA_DIR: dataDir, HLS_DIR: join(dataDir, "hls"), X264_PRESET: "ultrafast" };
    const first = await spawnMediaNode({
      id: "rec-crash",
      managerUrl,
      token: TOKEN,
      edge: "http://127.0.0.1:1",
      env,
    });
    nodes.push(first);
    const stream = await until("a stream placed on the node", 20_000, () =>
      createStream(managerUrl, "crashing").catch(() => undefined),
    );
    const pub = publishLight(`${first.rtmpServer}/${stream.privateId}`, 120);
    publishers.push(pub);
    const videoId = await until("the recording to start", 30_000, () =>
      recordingOf(dataDir, stream.publicId),
    );
    await until("8 s recorded", 60_000, () => indexLines(dataDir, videoId, "source").length >= 8);
    const before = indexLines(dataDir, videoId, "source");
    first.crash();
    await reap(pub, 2000);
    const second = await spawnMediaNode({
      id: "rec-crash",
      managerUrl,
      token: TOKEN,
      edge: "http://127.0.0.1:1",
      env,
    });
    nodes.push(second);
    const master = `http://127.0.0.1:${second.httpPort}/hls/vod/${videoId}/master.m3u8`;
    const seconds = await checkVod(master);
    const source = await fetchMedia(new URL("source/index.m3u8", master).href);
    // Every segment indexed before the kill is there (the kill may have landed one more).
    const lastBefore = before.at(-1)?.msn ?? -1;
    expect((source.mediaSequenceBase ?? 0) + source.segments.length - 1).toBeGreaterThanOrEqual(lastBefore);
    console.log(
      `recovered VOD: ${source.segments.length} segments (${before.length} indexed before the kill), rungs ${seconds.map((s) => s.toFixed(1)).join(", ")} s`,
    );
    const meta = await Bun.file(join(dataDir, "recordings", videoId, "meta.json")).json();
    expect(meta.state).toBe("ready");
    expect(second.log()).toContain("recording finalised after a restart");
    // The restarted node told the manager: the video is ready, as long as what was recovered.
    const video = await until("the manager to list the recovered video as ready", 60_000, async () => {
      const res = await fetch(`${managerUrl}/video/${videoId}`);
      const v = res.ok ? ((await res.json()) as { state: string; durationSeconds: number }) : null;
      return v?.state === "ready" ? v : undefined;
    });
    expect(Math.abs(video.durationSeconds - playlistSeconds(source))).toBeLessThan(0.01);
  }, 180_000);
});
