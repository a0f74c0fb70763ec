/**
 * WHIP ingest end to end, up to the pipeline's input: headless Chromium (fake camera + microphone)
 * publishes over WHIP to the real werift endpoint; the session hands an IngestFeed to the pipeline
 * (recorded here); ffprobe then reads that feed exactly as the transcoder does (the SDP file, RTP on
 * loopback UDP) and checks the browser's codec and resolution. No relay ffmpeg, no RTMP, no key.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IngestFeed } from "../../apps/media/src/ingest-feed.ts";
import { createWhipIngest, type WhipIngest } from "../../apps/media/src/whip/index.ts";
import { createLogger } from "../../packages/server-kit/src/index.ts";
import { ChromiumPublisher } from "./support/chromium-publisher.ts";
import { serveWhip } from "./support/serve-whip.ts";
import { until } from "./support/until.ts";

const PUBLIC_ID = "whipE2eStream1";
const KEY = `sk_${crypto.randomUUID().replaceAll("-", "")}`;

interface Probed {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
}

/** Reads the live RTP the way the transcoder does: the same SDP file, the same loopback ports. */
async function ffprobeFeed(sdpPath: string): Promise<Probed> {
  const p = Bun.spawn(
    [
      "ffprobe",
      ["-v", "error", "-protocol_whitelist", "file,udp,rtp", "-fpsprobesize", "0"],
      ["-show_streams", "-of", "json", sdpPath],
    ].flat(),
    { stdout: "pipe", stderr: "ignore" },
  );
  const killer = setTimeout(() => p.kill("SIGKILL"), 20_000);
  const text = await new Response(p.stdout).text();
  await p.exited;
  clearTimeout(killer);
  return JSON.parse(text || "{}") as Probed;
}

describe("WHIP → IngestFeed (Chromium publisher)", () => {
  let dir: string;
  let http: ReturnType<typeof serveWhip>;
  let ingest: WhipIngest;
  let browser: ChromiumPublisher;
  const feeds: IngestFeed[] = [];
  const stops: { feed?: IngestFeed; how?: string }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "whip-e2e-"));
    ingest = createWhipIngest({
      verifyKey: async (key) => (key === KEY ? PUBLIC_ID : null),
      streamExists: async (id) => id === PUBLIC_ID,
      isLive: () => false,
      pipeline: {
        publishStarted: async (_publicId, feed) => {
          feeds.push(feed);
          return true;
        },
        publishStopped: async (_publicId, feed, how) => {
          stops.push({ ...(feed ? { feed } : {}), ...(how ? { how } : {}) });
        },
      },
      logger: createLogger({ svc: "whip-e2e" }, { silent: process.env.WHIP_E2E_LOG !== "1" }),
      tmpDir: dir,
    });
    http = serveWhip(ingest);
    browser = await ChromiumPublisher.launch();
  });

  afterAll(async () => {
    await browser?.close();
    await ingest?.stop();
    http?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function publishAndProbe(onlyCodec?: string) {
    const before = feeds.length;
    const result = await browser.publish({
      whipUrl: `${http.url}/${PUBLIC_ID}`,
      key: KEY,
      width: 1280,
      height: 720,
      ...(onlyCodec ? { onlyCodec } : {}),
    });
    expect(result.status, result.body).toBe(201);
    const session = await until("the session", 5000, () => ingest.sessions().get(PUBLIC_ID));
    await until(
      "RTP from the browser",
      15_000,
      () => session.forwarded.video > 100 && session.forwarded.audio > 50,
    );
    await until("RTCP sender reports", 15_000, () => session.forwarded.rtcp > 0);
    const sent = await until("the browser sending 1280x720", 20_000, async () => {
      const v = await browser.outboundVideo();
      return v && v.frameWidth === 1280 ? v : undefined;
    });
    const feed = await until("the feed to reach the pipeline", 15_000, () => feeds[before]);
    if (feed.input.kind !== "rtp-sdp") throw new Error(`unexpected input ${feed.input.kind}`);
    const sdpPath = feed.input.sdpPath;
    expect((await stat(sdpPath)).mode & 0o777).toBe(0o600);
    expect(await Bun.file(sdpPath).text()).not.toContain(KEY);
    const probed = await ffprobeFeed(sdpPath);
    expect(await browser.unpublish()).toBe(200);
    expect(ingest.publishing(PUBLIC_ID)).toBe(false);
    // DELETE is a clean end, and the SDP file is gone with the session.
    expect(stops.at(-1)).toEqual({ feed, how: "clean" });
    expect(await Bun.file(sdpPath).exists()).toBe(false);
    return { result, sent, feed, probed };
  }

  test("H.264 + Opus from the browser: one feed at the browser's resolution, readable from its SDP; DELETE ends it", async () => {
    const { result, sent, feed, probed } = await publishAndProbe();
    expect(result.videoCodecs).toContain("H264");
    expect(result.location).toContain(`/whip/${PUBLIC_ID}/`);
    expect(result.body).toMatch(/a=candidate:.* 127\.0\.0\.1 \d+ typ host/);
    expect(sent.codec).toBe("video/H264");
    expect(feed.source).toMatchObject({ videoCodec: "h264", width: 1280, height: 720, audioCodec: "opus" });
    const video = probed.streams.find((s) => s.codec_type === "video");
    const audio = probed.streams.find((s) => s.codec_type === "audio");
    expect(video?.codec_name).toBe("h264");
    expect([video?.width, video?.height]).toEqual([1280, 720]);
    expect(audio?.codec_name).toBe("opus");
  }, 90_000);

  test("a VP8-only browser still works: its size comes from the VP8 keyframe, the ladder encodes it", async () => {
    const { sent, feed, probed } = await publishAndProbe("video/VP8");
    expect(sent.codec).toBe("video/VP8");
    expect(feed.source).toMatchObject({ videoCodec: "vp8", width: 1280, height: 720 });
    const video = probed.streams.find((s) => s.codec_type === "video");
    expect(video?.codec_name).toBe("vp8");
    expect([video?.width, video?.height]).toEqual([1280, 720]);
    expect(probed.streams.find((s) => s.codec_type === "audio")?.codec_name).toBe("opus");
  }, 90_000);
});
