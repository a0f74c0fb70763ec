import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaStreamAddresses, MediaStreamStatus } from "@hearth/contracts";
import { idleRegistry, TEST_INTERNAL_TOKEN, testApp } from "../testing/test-app.ts";
import { feedFragments, SYNTHETIC_INIT } from "../testing/test-feed.ts";
import { parseEnv } from "./env.ts";
import { LlhlsRegistry, LlhlsStream } from "./llhls/llhls-stream.ts";

const dir = mkdtempSync(join(tmpdir(), "hearth-media-app-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ID = "abcDEF123_-x";
// On disk: only what the node writes there (the preview), plus files it must never serve.
mkdirSync(join(dir, ID), { recursive: true });
writeFileSync(join(dir, ID, "thumb.jpg"), new Uint8Array([0xff, 0xd8]));
writeFileSync(join(dir, "secret.txt"), "nope");
const OTHER = "notPackaged01";
mkdirSync(join(dir, OTHER, "720p"), { recursive: true });
writeFileSync(join(dir, OTHER, "master.m3u8"), "#EXTM3U\n");
writeFileSync(join(dir, OTHER, "720p", "seg_abc_7.ts"), new Uint8Array(188));

// In memory: the packager of one live stream with a 720p rung, 12 parts of 0.2 s in.
const llhls = new LlhlsRegistry();
const stream = new LlhlsStream(ID, "tag1", [{ name: "720p", width: 1280, height: 720, bandwidth: 1 }], {
  targetDuration: 1,
  partTarget: 0.2,
  windowSegments: 12,
  partSegments: 2,
});
const packager = stream.rendition("720p");
packager?.beginInput(SYNTHETIC_INIT);
if (packager) feedFragments(packager, 12);
llhls.add(stream);

const TOKEN = TEST_INTERNAL_TOKEN;
const removed: string[] = [];
const app = testApp({
  registry: {
    ...idleRegistry(),
    metrics: () => ({
      streams: [
        {
          publicId: ID,
          phase: "live",
          ingestBps: 3_000_000,
          speed: 1.01,
          restarts: 2,
          degradations: 1,
          feedDrops: { overflows: 1, droppedTags: 40, droppedBytes: 123456 },
        },
      ],
      restartsEnded: 1,
      budget: { total: 170, used: 27.5, fullLadder: 27.5, maxStreams: 16 },
    }),
    remove: async (publicId) => {
      removed.push(publicId);
    },
  },
  llhls,
  hlsDir: dir,
});
const req = (path: string, init?: RequestInit) => app.request(`http://localhost${path}`, init);

describe("HLS origin: the packager's memory, thumb.jpg from disk", () => {
  test("master (from the packager) and variant playlists: HLS content type, 1 s cache, CORS for any origin", async () => {
    const master = await req(`/hls/${ID}/master.m3u8`);
    expect(master.status).toBe(200);
    expect(master.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(master.headers.get("cache-control")).toBe("public, max-age=1");
    expect(master.headers.get("access-control-allow-origin")).toBe("*");
    // Size and codecs come from the rung's init segment, not from the planned 1280x720.
    expect(await master.text()).toContain(
      'RESOLUTION=160x90,FRAME-RATE=30.000,CODECS="avc1.42c00c",NAME="720p"',
    );
    const variant = await req(`/hls/${ID}/720p/index.m3u8`);
    expect(variant.headers.get("cache-control")).toBe("public, max-age=1");
    const text = await variant.text();
    expect(text).toContain("#EXT-X-PART-INF:PART-TARGET=0.20000");
    expect(text).toContain("seg-tag1-0.m4s");
  });

  test("segments are immutable CMAF; the thumbnail is a JPEG from disk", async () => {
    const seg = await req(`/hls/${ID}/720p/seg-tag1-0.m4s`);
    expect(seg.status).toBe(200);
    expect(seg.headers.get("content-type")).toBe("video/mp4");
    expect(seg.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const bytes = packager?.segment(0)?.bytes ?? new Uint8Array(0);
    expect(Buffer.from(await seg.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    const thumb = await req(`/hls/${ID}/thumb.jpg`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get("content-type")).toBe("image/jpeg");
    expect(thumb.headers.get("cache-control")).toBe("public, max-age=5");
  });

  test("missing objects, odd names and files on disk the packager does not know are 404 with no-store", async () => {
    for (const path of [
      `/hls/${ID}/720p/seg-tag1-99.m4s`,
      `/hls/${ID}/240p/index.m3u8`,
      "/hls/zzzzzzzzzzzz/master.m3u8",
      `/hls/${OTHER}/master.m3u8`,
      `/hls/${OTHER}/720p/seg_abc_7.ts`,
      `/hls/${ID}/../secret.txt`,
      `/hls/${ID}/%2e%2e/secret.txt`,
      "/hls/secret.txt",
      `/hls/${ID}/720p/index.m3u8.tmp`,
      `/hls/${ID}/720p/../../secret.txt`,
      `/hls/short/master.m3u8`,
      `/hls/${OTHER}/thumb.jpg`,
    ]) {
      const res = await req(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });

  test("CORS preflight", async () => {
    const res = await req(`/hls/${ID}/master.m3u8`, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-methods")).toContain("GET");
  });
});

describe("internal API", () => {
  test("needs the internal token", async () => {
    const res = await req("/internal/streams", { method: "POST", body: JSON.stringify({ publicId: ID }) });
    expect(res.status).toBe(401);
    const wrong = await req("/internal/streams", {
      method: "POST",
      headers: { authorization: "Bearer wrong-token-0123456789" },
      body: JSON.stringify({ publicId: ID }),
    });
    expect(wrong.status).toBe(403);
  });

  test("POST /internal/streams answers the stream's addresses", async () => {
    const res = await req("/internal/streams", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ publicId: ID }),
    });
    expect(res.status).toBe(201);
    expect(MediaStreamAddresses.parse(await res.json())).toEqual({
      rtmpServer: "rtmp://media.example:1935/live",
      whipUrl: `https://media.example/whip/${ID}`,
      hlsUrl: `https://cdn.example/hls/${ID}/master.m3u8`,
    });
  });

  test("DELETE /internal/streams/:publicId removes the stream; bad ids are 400", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await req(`/internal/streams/${ID}`, { method: "DELETE", headers: auth })).status).toBe(204);
    expect(removed).toEqual([ID]);
    expect((await req("/internal/streams/x", { method: "DELETE", headers: auth })).status).toBe(400);
  });
});

test("status, metrics and health", async () => {
  const status = MediaStreamStatus.parse(await (await req(`/streams/${ID}/status`)).json());
  expect(status.live).toBe(false);
  const metrics = await (await req("/metrics")).text();
  expect(metrics).toContain(`hearth_media_ingest_bitrate_bps{stream="${ID}"} 3000000`);
  expect(metrics).toContain(`hearth_media_ffmpeg_restarts_total{stream="${ID}"} 2`);
  expect(metrics).toContain(`hearth_media_input_dropped_bytes_total{stream="${ID}"} 123456`);
  expect(metrics).toContain(`hearth_media_degradations_total{stream="${ID}"} 1`);
  expect(metrics).toContain(`hearth_media_transcode_budget{kind="used"} 27.5`);
  expect(metrics).toContain("hearth_media_live_streams 1");
  expect((await req("/healthz")).status).toBe(200);
});

test("env: defaults, HLS_DIR under DATA_DIR, ladder JSON validated", () => {
  const env = parseEnv({ INTERNAL_TOKEN: TOKEN, DATA_DIR: "/d" });
  expect(env.HLS_DIR).toBe("/d/hls");
  expect(env.MEDIA_HTTP_PORT).toBe(8083);
  expect(env.RTMP_PORT).toBe(1935);
  expect(env.HLS_LADDER.rungs.map((r) => r.name)).toEqual(["720p", "480p", "360p", "160p"]);
  const custom = parseEnv({
    INTERNAL_TOKEN: TOKEN,
    HLS_LADDER: '{"rungs":[{"name":"540p","height":540,"videoKbps":1800}]}',
  });
  expect(custom.HLS_LADDER.rungs[0]?.audioKbps).toBe(128);
  expect(() => parseEnv({ INTERNAL_TOKEN: TOKEN, HLS_LADDER: "{" })).toThrow();
  expect(() =>
    parseEnv({
      INTERNAL_TOKEN: TOKEN,
      HLS_LADDER: '{"rungs":[{"name":"source","height":540,"videoKbps":1800}]}',
    }),
  ).toThrow();
  expect([env.SEGMENT_SECONDS, env.HLS_PART_SECONDS, env.HLS_LIST_SIZE]).toEqual([1, 0.2, 12]);
  expect(parseEnv({ INTERNAL_TOKEN: TOKEN, SEGMENT_SECONDS: "2" }).SEGMENT_SECONDS).toBe(2);
  expect(() => parseEnv({ INTERNAL_TOKEN: TOKEN, HLS_LIST_SIZE: "3" })).toThrow();
});
