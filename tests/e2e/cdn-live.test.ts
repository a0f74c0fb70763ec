/**
 * A real live stream through the CDN: manager + chat + media in this process, a real ffmpeg publishing over RTMP,
 * the media node's public HLS base pointed at the edge (`PUBLIC_HLS_BASE=<edge>/hls/media-1`), and the stream
 * created and played only through the edge (/api/ and /hls/), as a viewer on one host name would.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { StartedStream } from "@hearth/contracts";
import { type RunningCdn, startCdn } from "./cdn-harness.ts";
import { type Platform, publish, reap, startPlatform, until } from "./media-harness.ts";
import { freePort } from "./support/ports.ts";

let p: Platform;
let cdn: RunningCdn;
let edge = "";

beforeAll(async () => {
  const edgePort = freePort();
  edge = `http://127.0.0.1:${edgePort}`;
  p = await startPlatform({ PUBLIC_HLS_BASE: `${edge}/hls/media-1` });
  cdn = await startCdn({
    edgePort,
    media: [{ id: "media-1", port: p.ports.mediaHttp }],
    manager: [p.ports.manager],
    chat: [p.ports.chat],
  });
}, 60_000);

afterAll(async () => {
  await cdn?.stop();
  await p?.stop();
});

test("create through /api/, publish over RTMP, play the ladder through the edge", async () => {
  const res = await fetch(`${edge}/api/start_stream?name=${encodeURIComponent("through the CDN")}`, {
    method: "POST",
  });
  expect(res.status).toBe(201);
  const s = StartedStream.parse(await res.json());
  expect(s.hlsUrl).toBe(`${edge}/hls/media-1/${s.publicId}/master.m3u8`);

  const ffmpeg = publish(`rtmp://127.0.0.1:${p.ports.rtmp}/live/${s.privateId}`, 40);
  try {
    const master = await until("the master playlist through the edge", 40_000, async () => {
      const r = await fetch(s.hlsUrl);
      return r.status === 200 ? await r.text() : undefined;
    });
    const variant = master.split("\n").find((l) => l.endsWith(".m3u8"));
    expect(variant).toBeDefined();
    const variantUrl = new URL(variant ?? "", s.hlsUrl).toString();
    const segment = await until("a segment in the variant playlist", 30_000, async () => {
      const text = await (await fetch(variantUrl)).text();
      return text.split("\n").find((l) => l.endsWith(".m4s"));
    });
    const segUrl = new URL(segment, variantUrl).toString();
    expect(segUrl.startsWith(`${edge}/hls/media-1/${s.publicId}/`)).toBe(true);
    const first = await fetch(segUrl);
    expect(first.status).toBe(200);
    expect((await first.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const second = await fetch(segUrl);
    expect(second.headers.get("x-cache-status")).toBe("HIT");
    expect(second.headers.get("cache-control")).toContain("immutable");
    await second.arrayBuffer();

    // ffprobe follows master → variant → segments, all through the edge.
    const probe = Bun.spawn(
      ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height", "-of", "json", s.hlsUrl],
      { stdout: "pipe", stderr: "pipe" },
    );
    const out = await new Response(probe.stdout).text();
    expect(await reap(probe, 30_000)).toBe(0);
    const streams = (JSON.parse(out) as { streams: Array<{ codec_type: string; height?: number }> }).streams;
    expect(streams.some((x) => x.codec_type === "video" && (x.height ?? 0) > 0)).toBe(true);
    expect(streams.some((x) => x.codec_type === "audio")).toBe(true);
  } finally {
    ffmpeg.kill("SIGTERM");
    await reap(ffmpeg);
  }
}, 120_000);
