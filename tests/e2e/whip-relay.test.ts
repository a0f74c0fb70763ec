/**
 * WHIP ingest end to end, up to RTMP: headless Chromium (fake camera + microphone) publishes over
 * WHIP to the real werift endpoint; the session's relay ffmpeg publishes to a real ffmpeg acting as
 * the RTMP server; ffprobe then checks the recording is H.264 at the browser's resolution + AAC.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSpawnFfmpeg, createWhipIngest, type WhipIngest } from "../../apps/media/src/whip/index.ts";
import { createLogger } from "../../packages/server-kit/src/index.ts";
import { ChromiumPublisher } from "./support/chromium-publisher.ts";
import { serveWhip } from "./support/serve-whip.ts";

const PUBLIC_ID = "whipE2eStream1";
const KEY = `sk_${crypto.randomUUID().replaceAll("-", "")}`;

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await Bun.sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

interface Probed {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
}

async function ffprobe(path: string): Promise<Probed> {
  const p = Bun.spawn(["ffprobe", "-v", "error", "-show_streams", "-of", "json", path], { stdout: "pipe" });
  const text = await new Response(p.stdout).text();
  await p.exited;
  return JSON.parse(text) as Probed;
}

/** A real RTMP server stand-in: ffmpeg accepts one publisher on `key` and records it to `file`. */
function rtmpRecorder(port: number, key: string, file: string) {
  return Bun.spawn(
    [
      "ffmpeg",
      "-hide_banner",
      // "fatal": at the end it reports the publisher leaving as an I/O error, naming the key.
      ["-loglevel", "fatal"],
      ["-listen", "1", "-i", `rtmp://127.0.0.1:${port}/live/${key}`],
      ["-c", "copy", "-f", "flv", file],
    ].flat(),
    { stdin: "ignore", stdout: "ignore", stderr: "inherit" },
  );
}

describe("WHIP → relay ffmpeg → RTMP (Chromium publisher)", () => {
  let dir: string;
  let rtmpPort = 0;
  let http: ReturnType<typeof serveWhip>;
  let ingest: WhipIngest;
  let browser: ChromiumPublisher;
  const recorders: ReturnType<typeof Bun.spawn>[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "whip-e2e-"));
    ingest = createWhipIngest({
      verifyKey: async (key) => (key === KEY ? PUBLIC_ID : null),
      streamExists: async (id) => id === PUBLIC_ID,
      isLive: () => false,
      // Each test starts its own recorder on a fresh port.
      rtmpUrl: (key) => `rtmp://127.0.0.1:${rtmpPort}/live/${key}`,
      spawnFfmpeg: bunSpawnFfmpeg(),
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
    for (const r of recorders) {
      r.kill("SIGKILL");
      await r.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  async function publishAndRecord(name: string, onlyCodec?: string) {
    rtmpPort = await freeTcpPort();
    const file = join(dir, `${name}.flv`);
    const recorder = rtmpRecorder(rtmpPort, KEY, file);
    recorders.push(recorder);
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
    await until("the RTMP recording to grow", 20_000, async () => {
      const size = await stat(file).then(
        (s) => s.size,
        () => 0,
      );
      return size > 200_000;
    });
    expect(await browser.unpublish()).toBe(200);
    expect(ingest.publishing(PUBLIC_ID)).toBe(false);
    // The relay stopped, so the RTMP server saw its publisher leave and finished the file.
    const code = await Promise.race([recorder.exited, Bun.sleep(10_000).then(() => "timeout")]);
    expect(code).not.toBe("timeout");
    return { result, sent, probed: await ffprobe(file) };
  }

  test("H.264 + Opus from the browser: video copied, audio AAC, at the browser's resolution; DELETE ends it", async () => {
    const { result, sent, probed } = await publishAndRecord("h264");
    expect(result.videoCodecs).toContain("H264");
    expect(result.location).toContain(`/whip/${PUBLIC_ID}/`);
    expect(result.body).toMatch(/a=candidate:.* 127\.0\.0\.1 \d+ typ host/);
    expect(sent.codec).toBe("video/H264");
    const video = probed.streams.find((s) => s.codec_type === "video");
    const audio = probed.streams.find((s) => s.codec_type === "audio");
    expect(video?.codec_name).toBe("h264");
    expect([video?.width, video?.height]).toEqual([1280, 720]);
    expect(audio?.codec_name).toBe("aac");
  }, 90_000);

  test("a VP8-only browser still works: the relay decodes it to H.264", async () => {
    const { sent, probed } = await publishAndRecord("vp8", "video/VP8");
    expect(sent.codec).toBe("video/VP8");
    const video = probed.streams.find((s) => s.codec_type === "video");
    expect(video?.codec_name).toBe("h264");
    expect([video?.width, video?.height]).toEqual([1280, 720]);
    expect(probed.streams.find((s) => s.codec_type === "audio")?.codec_name).toBe("aac");
  }, 90_000);
});
