/**
 * The whole WebRTC path: a stream created through the real manager; headless Chromium (fake camera
 * and microphone) publishes over WHIP; the session hands its RTP to the media node's pipeline (one
 * transcoder ffmpeg reads it from loopback UDP: no relay, no second key check); the manager
 * shows the stream live and the HLS ladder appears, its source rung at the browser's resolution.
 * Ending the WHIP session (DELETE, or a browser that just disappears) takes the stream offline.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { StartedStream } from "@hearth/contracts";
import { internalClient } from "@hearth/server-kit";
import { managerKeyVerifier } from "../../apps/media/src/key-verifier.ts";
import { createWhipIngest, managerStreamExists, type WhipIngest } from "../../apps/media/src/whip/index.ts";
import { createStream, lookup, type Platform, startPlatform, TOKEN, until } from "./media-harness.ts";
import { capturingLogger } from "./support/capturing-logger.ts";
import { ChromiumPublisher } from "./support/chromium-publisher.ts";
import { variantAttributes } from "./support/master-playlist.ts";
import { serveWhip } from "./support/serve-whip.ts";

describe("WHIP → media node → HLS ladder, through the real manager", () => {
  let p: Platform;
  let ingest: WhipIngest;
  let http: ReturnType<typeof serveWhip>;
  let browser: ChromiumPublisher;
  let stream: StartedStream;
  const whipLogLines: string[] = [];

  beforeAll(async () => {
    p = await startPlatform();
    const manager = internalClient({ service: "manager", baseUrl: p.managerUrl, token: TOKEN });
    const verifier = managerKeyVerifier(manager);
    // Wired as the media node's main.ts wires it (see apps/media/src/whip/routes.ts WhipDeps).
    ingest = createWhipIngest({
      verifyKey: (key) => verifier.verify(key),
      streamExists: managerStreamExists(manager),
      isLive: (id) => p.media.registry.isLive(id),
      pipeline: p.media.registry,
      logger: capturingLogger(whipLogLines),
    });
    http = serveWhip(ingest);
    browser = await ChromiumPublisher.launch();
    stream = await createStream(p.managerUrl, "whip e2e");
  }, 60_000);

  /** Publishes from the browser over WHIP to this stream's endpoint, with a `width`x`height` camera. */
  const publishFromBrowser = (width: number, height: number) =>
    browser.publish({ whipUrl: `${http.url}/${stream.publicId}`, key: stream.privateId, width, height });

  /** Publishes from the browser, which the endpoint accepts, and waits until the manager shows the stream live. */
  async function goLive(width: number, height: number): Promise<void> {
    const result = await publishFromBrowser(width, height);
    expect(result.status, result.body).toBe(201);
    await until(
      "manager shows live",
      30_000,
      async () => (await lookup(p.managerUrl, stream.publicId)).live,
      200,
    );
  }

  /** Waits until the manager shows the stream offline. */
  async function untilOffline(timeoutMs: number): Promise<void> {
    await until(
      "manager shows offline",
      timeoutMs,
      async () => !(await lookup(p.managerUrl, stream.publicId)).live,
      100,
    );
  }

  afterAll(async () => {
    await browser?.close();
    await ingest?.stop();
    http?.stop();
    await p?.stop();
  });

  test("start_wrtc_stream hands out this stream's WHIP URL", async () => {
    const res = await fetch(`${p.managerUrl}/start_wrtc_stream/${stream.publicId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${stream.privateId}` },
    });
    expect(res.status).toBe(200);
    const { whipUrl } = (await res.json()) as { whipUrl: string };
    expect(whipUrl).toEndWith(`/whip/${stream.publicId}`);
  });

  test("a Chromium WHIP publish goes live with the ladder, source rung at the browser's resolution", async () => {
    const t0 = Date.now();
    await goLive(1280, 720);
    const infs = await until(
      "the master playlist with every rung",
      30_000,
      async () => {
        const res = await fetch(`${p.mediaUrl}/hls/${stream.publicId}/master.m3u8`);
        if (res.status !== 200) return undefined;
        const variants = variantAttributes(await res.text());
        return variants.length >= 2 ? variants : undefined;
      },
      200,
    );
    const sourcePlaylistAt = Date.now();
    const sent = await browser.outboundVideo();
    expect(sent?.codec).toBe("video/H264");
    expect(infs[0]?.NAME).toBe("source");
    expect(infs[0]?.RESOLUTION).toBe(`${sent?.frameWidth}x${sent?.frameHeight}`);
    expect(infs[0]?.RESOLUTION).toBe("1280x720");
    expect(infs.map((a) => a.NAME)).toContain("360p");
    for (const a of infs) expect(a.CODECS).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    console.log(`whip e2e: WHIP POST → master playlist with the ladder in ${sourcePlaylistAt - t0} ms`);

    const variant = await fetch(`${p.mediaUrl}/hls/${stream.publicId}/source/index.m3u8`);
    expect(variant.status).toBe(200);
    // A CMAF segment URI from Hearth's packager.
    expect(await variant.text()).toMatch(/\nseg-[a-z0-9]+-\d+\.m4s\n/);
  }, 90_000);

  test("a second publisher on the live stream is 409; DELETE takes the stream offline", async () => {
    const other = await fetch(`${http.url}/${stream.publicId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${stream.privateId}`, "content-type": "application/sdp" },
      body: "v=0\r\n",
    });
    expect(other.status).toBe(409);
    expect(ingest.publishing(stream.publicId)).toBe(true);

    expect(await browser.unpublish()).toBe(200);
    const t0 = Date.now();
    await untilOffline(15_000);
    console.log(`whip e2e: DELETE → offline in ${Date.now() - t0} ms`);
  }, 30_000);

  test("a browser that vanishes without DELETE: a drop (the stream waits out its grace), then offline", async () => {
    await goLive(640, 480);
    await browser.vanish();
    const t0 = Date.now();
    await until("the WHIP session to end", 20_000, () => !ingest.publishing(stream.publicId), 100);
    // Reported as "dropped", not a clean end: the stream waits for the publisher to come back.
    await until(
      "the manager to show the stream reconnecting",
      10_000,
      async () => (await lookup(p.managerUrl, stream.publicId)).reconnecting,
      100,
    );
    // RECONNECT_GRACE_SECONDS (10 s by default) without a publisher: offline.
    await untilOffline(25_000);
    console.log(`whip e2e: browser gone → offline in ${Date.now() - t0} ms`);
  }, 90_000);

  test("no ffmpeg of the node is a relay: one transcoder per stream, with no key on its command line", async () => {
    await goLive(640, 480);
    const pids = p.media.registry.pids();
    expect(pids).toHaveLength(1);
    const cmdline = await Bun.file(`/proc/${pids[0]}/cmdline`).text();
    expect(cmdline).toContain("hearth-whip-");
    expect(cmdline).not.toContain(stream.privateId);
    expect(cmdline).not.toContain("rtmp://");
    expect(await browser.unpublish()).toBe(200);
    await untilOffline(15_000);
  }, 60_000);

  test("stop_stream while publishing over WHIP: the feed is kicked and the session ends for good", async () => {
    await goLive(640, 480);
    const stop = await fetch(`${p.managerUrl}/stop_stream/${stream.publicId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${stream.privateId}` },
    });
    expect(stop.status).toBe(204);
    // The manager deletes the stream on the node: the registry kicks the WHIP feed, which ends the session.
    await until("the WHIP session to end", 15_000, () => !ingest.publishing(stream.publicId), 100);
    const again = await publishFromBrowser(640, 480);
    expect(again.status).toBe(401);
  }, 60_000);

  test("the stream key never appears in a log line", () => {
    const all = [...p.logLines, ...whipLogLines].join("\n");
    expect(whipLogLines.length).toBeGreaterThan(0);
    expect(all).not.toContain(stream.privateId);
  });
});
