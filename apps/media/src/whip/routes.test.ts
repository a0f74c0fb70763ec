import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, errorHandler } from "@hearth/server-kit";
import { Hono } from "hono";
import {
  MediaStreamTrack,
  RTCPeerConnection,
  type RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
  useH264,
  useOPUS,
  useVP8,
} from "werift";
import { fakeFeed } from "../../testing/fake-feed.ts";
import { testRegistry } from "../../testing/test-registry.ts";
import type { IngestFeed } from "../ingest-feed.ts";
import type { Pipeline } from "../stream-registry.ts";
import { createWhipIngest, type WhipDeps } from "./routes.ts";
import { guardSocketErrors } from "./socket-guard.ts";

const LIVE_ID = "liveStream01";
const LIVE_KEY = "key-live-0123456789";
const OTHER_ID = "otherStream1";
const OTHER_KEY = "key-other-0123456789";
const peers: RTCPeerConnection[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A real offer from a werift client (what a WHIP client sends), with the codecs given. */
async function offer(video: RTCRtpCodecParameters[] = [useH264()], audio = [useOPUS()]): Promise<string> {
  const pc = new RTCPeerConnection({ codecs: { video, audio }, iceAdditionalHostAddresses: ["127.0.0.1"] });
  peers.push(pc);
  pc.addTransceiver("video", { direction: "sendonly" });
  pc.addTransceiver("audio", { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  // These clients never get to connect; the server's checks to them may bounce. Keep that quiet.
  guardSocketErrors(pc, () => undefined);
  return pc.localDescription?.sdp ?? "";
}

/** Stands in for the node's StreamRegistry: records what the WHIP sessions hand it. */
function fakePipeline() {
  const started: { publicId: string; feed: IngestFeed }[] = [];
  const stopped: { publicId: string; feed?: IngestFeed; how?: string }[] = [];
  let accept = true;
  const pipeline: Pick<Pipeline, "publishStarted" | "publishStopped"> = {
    publishStarted: async (publicId, feed) => {
      started.push({ publicId, feed });
      return accept;
    },
    publishStopped: async (publicId, feed, how) => {
      stopped.push({ publicId, ...(feed ? { feed } : {}), ...(how ? { how } : {}) });
    },
  };
  return { pipeline, started, stopped, refuse: () => (accept = false) };
}

/** SPS of a 1280x720 H.264 stream (x264), and a PPS: what a browser sends in front of each IDR. */
const SPS_720 = Buffer.from("6742c01fd9005005bb0110000003001000000303c0f1832480", "hex");
const PPS = Buffer.from("68ce3c80", "hex");

/**
 * A werift publisher that really connects (ICE + DTLS on loopback) and sends STAP-A(SPS, PPS) packets,
 * enough for the session to learn the picture size and hand the stream to the pipeline.
 */
async function connectedPublisher(post: (body: string) => Promise<Response> | Response) {
  const track = new MediaStreamTrack({ kind: "video" });
  const pc = new RTCPeerConnection({
    codecs: { video: [useH264()] },
    iceAdditionalHostAddresses: ["127.0.0.1"],
  });
  peers.push(pc);
  pc.addTransceiver(track, { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  guardSocketErrors(pc, () => undefined);
  const res = await post(pc.localDescription?.sdp ?? "");
  expect(res.status).toBe(201);
  const location = res.headers.get("location") ?? "";
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  const payloadType = pc.getTransceivers()[0]?.codecs[0]?.payloadType ?? 96;
  const stapA = Buffer.concat([
    Buffer.from([0x78, 0, SPS_720.length]),
    SPS_720,
    Buffer.from([0, PPS.length]),
    PPS,
  ]);
  let seq = 0;
  const timer = setInterval(() => {
    const header = new RtpHeader({
      payloadType,
      sequenceNumber: seq++ & 0xffff,
      timestamp: seq * 3000,
      marker: true,
    });
    track.writeRtp(new RtpPacket(header, stapA));
  }, 20);
  return { pc, location, stop: () => clearInterval(timer) };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function setup(over: Partial<WhipDeps> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "whip-routes-"));
  dirs.push(dir);
  const pipe = fakePipeline();
  const keys = new Map([
    [LIVE_KEY, LIVE_ID],
    [OTHER_KEY, OTHER_ID],
  ]);
  const liveElsewhere = new Set<string>();
  const ingest = createWhipIngest({
    verifyKey: async (key) => keys.get(key) ?? null,
    streamExists: async (id) => [...keys.values()].includes(id),
    isLive: (id) => liveElsewhere.has(id),
    pipeline: pipe.pipeline,
    logger: createLogger({}, { silent: true }),
    tmpDir: dir,
    ...over,
  });
  const request = (path: string, init: RequestInit = {}) => ingest.routes.request(path, init);
  /** POST an offer; key "" sends no Authorization header. */
  const post = (id: string, body: string, key: string, type = "application/sdp") =>
    request(`/${id}`, {
      method: "POST",
      headers: { "content-type": type, ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body,
    });
  return { ingest, pipe, keys, liveElsewhere, request, post, dir };
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

/** A publisher whose media flowed vanishes without a DELETE: the session ends and the pipeline hears "dropped". */
async function expectVanishedPublisherDropped({
  ingest,
  pipe,
  post,
}: Pick<Awaited<ReturnType<typeof setup>>, "ingest" | "pipe" | "post">) {
  const pub = await connectedPublisher((body) => post(LIVE_ID, body, LIVE_KEY));
  await until("the pipeline to get the stream", () => pipe.started.length > 0);
  pub.stop();
  await until("the session to end", () => !ingest.publishing(LIVE_ID));
  expect(pipe.stopped).toEqual([
    { publicId: LIVE_ID, feed: pipe.started[0]?.feed as IngestFeed, how: "dropped" },
  ]);
}

describe("WHIP protocol", () => {
  test("OPTIONS answers the CORS preflight and advertises application/sdp", async () => {
    const { request } = await setup();
    const res = await request(`/${LIVE_ID}`, {
      method: "OPTIONS",
      headers: { origin: "https://studio.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toContain("Authorization");
    expect(res.headers.get("access-control-allow-headers")).toContain("Content-Type");
    expect(res.headers.get("access-control-expose-headers")).toContain("Location");
    expect(res.headers.get("accept-post")).toBe("application/sdp");
  });

  test("a good offer: 201, SDP answer with host candidates, Location; nothing reaches the pipeline before media", async () => {
    const { ingest, pipe, post } = await setup();
    const res = await post(LIVE_ID, await offer(), LIVE_KEY);
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/sdp");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("location")).toMatch(new RegExp(`^/whip/${LIVE_ID}/[0-9a-f-]{36}$`));
    const answer = await res.text();
    expect(answer).toStartWith("v=0");
    expect(answer).toMatch(/a=rtpmap:\d+ H264\/90000/);
    expect(answer).toMatch(/a=candidate:.* 127\.0\.0\.1 \d+ typ host/);
    expect(answer).toContain("a=recvonly");
    expect(ingest.publishing(LIVE_ID)).toBe(true);
    // The ladder is planned from the picture size, which only the first keyframe tells.
    expect(pipe.started).toHaveLength(0);
    await ingest.stop();
  });

  test("media arrives: one IngestFeed (RTP described by a 0600 SDP file, no key) to the pipeline; DELETE ends it clean", async () => {
    const { ingest, pipe, post, request, dir } = await setup();
    const pub = await connectedPublisher((body) => post(LIVE_ID, body, LIVE_KEY));
    await until("the pipeline to get the stream", () => pipe.started.length > 0);
    pub.stop();
    const [{ publicId, feed }] = pipe.started as [{ publicId: string; feed: IngestFeed }];
    expect(publicId).toBe(LIVE_ID);
    expect(feed.source).toEqual({ videoCodec: "h264", width: 1280, height: 720, fps: 30, audioCodec: null });
    expect(feed.input.kind).toBe("rtp-sdp");
    const sdpPath = feed.input.kind === "rtp-sdp" ? feed.input.sdpPath : "";
    expect(sdpPath.startsWith(dir)).toBe(true);
    expect((await stat(sdpPath)).mode & 0o777).toBe(0o600);
    const sdp = await Bun.file(sdpPath).text();
    expect(sdp).toMatch(/^m=video \d+ RTP\/AVP \d+$/m);
    expect(sdp).not.toContain(LIVE_KEY);
    expect(sdpPath).not.toContain(LIVE_KEY);
    expect(feed.inBytes()).toBeGreaterThan(0);

    const del = await request(pub.location.slice("/whip".length), {
      method: "DELETE",
      headers: { authorization: `Bearer ${LIVE_KEY}` },
    });
    expect(del.status).toBe(200);
    expect(pipe.stopped).toEqual([{ publicId: LIVE_ID, feed, how: "clean" }]);
    expect(await Bun.file(sdpPath).exists()).toBe(false);
    expect(ingest.publishing(LIVE_ID)).toBe(false);
  }, 30_000);

  test("a publisher that vanishes is reported as dropped; a pipeline that refuses ends the session", async () => {
    const { ingest, pipe, post } = await setup({ mediaTimeoutMs: 1000 });
    await expectVanishedPublisherDropped({ ingest, pipe, post });

    pipe.refuse();
    const again = await connectedPublisher((body) => post(LIVE_ID, body, LIVE_KEY));
    await until("the refused session to end", () => pipe.started.length > 1 && !ingest.publishing(LIVE_ID));
    again.stop();
    // Refused by the pipeline: nothing to stop there.
    expect(pipe.stopped).toHaveLength(1);
  }, 30_000);

  test("wrong content type is 415, missing or wrong key 401, unknown stream 404", async () => {
    const { post, ingest } = await setup();
    const sdp = await offer();
    expect((await post(LIVE_ID, sdp, LIVE_KEY, "application/json")).status).toBe(415);
    const noKey = await post(LIVE_ID, sdp, "");
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get("www-authenticate")).toContain("Bearer");
    const wrong = await post(LIVE_ID, sdp, OTHER_KEY);
    expect(wrong.status).toBe(401);
    // A browser client can only read the status of a cross-origin error with CORS headers on it.
    expect(wrong.headers.get("access-control-allow-origin")).toBe("*");
    expect((await errorOf(wrong)).code).toBe("unauthorized");
    expect((await post(LIVE_ID, sdp, "not-a-key-at-all")).status).toBe(401);
    expect((await post("unknownStream9", sdp, LIVE_KEY)).status).toBe(404);
    expect((await post("unknownStream9", sdp, "garbage")).status).toBe(404);
    expect((await post("bad id!", sdp, LIVE_KEY)).status).toBe(404);
    expect(ingest.publishing(LIVE_ID)).toBe(false);
  });

  test("malformed SDP is a 400 that says what is wrong", async () => {
    const { post } = await setup();
    const notSdp = await post(LIVE_ID, "hello", LIVE_KEY);
    expect(notSdp.status).toBe(400);
    expect((await errorOf(notSdp)).message).toContain('must start with "v=0"');
    const noIce = await post(LIVE_ID, "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", LIVE_KEY);
    expect(noIce.status).toBe(400);
    expect((await errorOf(noIce)).message).toContain("ice-ufrag");
    const av1 = (await offer()).replace(/H264\/90000/g, "AV1/90000");
    const res = await post(LIVE_ID, av1, LIVE_KEY);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain("send H264 (packetization-mode=1), VP8 or VP9");
  });

  test("a VP8-only client is accepted", async () => {
    const { post, ingest } = await setup();
    const res = await post(LIVE_ID, await offer([useVP8()]), LIVE_KEY);
    expect(res.status).toBe(201);
    expect(await res.text()).toMatch(/a=rtpmap:\d+ VP8\/90000/);
    await ingest.stop();
  });

  test("a second publisher is 409 and does not disturb the live one; DELETE ends it and frees the stream", async () => {
    const { post, request, ingest, liveElsewhere } = await setup();
    const first = await post(LIVE_ID, await offer(), LIVE_KEY);
    expect(first.status).toBe(201);
    const location = first.headers.get("location") ?? "";
    const path = location.slice("/whip".length);
    const session = ingest.sessions().get(LIVE_ID);

    const second = await post(LIVE_ID, await offer(), LIVE_KEY);
    expect(second.status).toBe(409);
    expect((await errorOf(second)).message).toContain("already live");
    // Live over RTMP (the node says so): a WHIP publish is refused as well.
    liveElsewhere.add(OTHER_ID);
    expect((await post(OTHER_ID, await offer(), OTHER_KEY)).status).toBe(409);
    // Bad requests against the live stream leave it alone.
    await post(LIVE_ID, "garbage", LIVE_KEY);
    await post(LIVE_ID, await offer(), OTHER_KEY);
    expect(
      (await request(path, { method: "DELETE", headers: { authorization: `Bearer ${OTHER_KEY}` } })).status,
    ).toBe(401);
    expect((await request(`/${LIVE_ID}/not-a-session`, { method: "DELETE" })).status).toBe(404);
    expect((await request(path, { method: "PATCH", body: "a=candidate" })).status).toBe(405);
    expect(ingest.sessions().get(LIVE_ID)).toBe(session);

    const del = await request(path, { method: "DELETE", headers: { authorization: `Bearer ${LIVE_KEY}` } });
    expect(del.status).toBe(200);
    expect(ingest.publishing(LIVE_ID)).toBe(false);
    expect(
      (await request(path, { method: "DELETE", headers: { authorization: `Bearer ${LIVE_KEY}` } })).status,
    ).toBe(404);
    expect((await post(LIVE_ID, await offer(), LIVE_KEY)).status).toBe(201);
    await ingest.stop();
  });

  test("an offer whose connection fails while it is answered is a 400 and leaves the stream free to publish", async () => {
    const { post, ingest, pipe } = await setup();
    // No candidates, yet "a=end-of-candidates": ICE has nothing to try and fails inside the answer itself.
    const noCandidates = (await offer())
      .split("\r\n")
      .filter((l) => !l.startsWith("a=candidate"))
      .join("\r\n");
    for (let i = 0; i < 2; i++) {
      const failed = await post(LIVE_ID, noCandidates, LIVE_KEY);
      expect(failed.status).toBe(400);
      expect(await errorOf(failed)).toEqual({
        code: "bad_sdp",
        message: expect.stringContaining("connection failed"),
      });
      expect(ingest.publishing(LIVE_ID)).toBe(false);
      expect(ingest.sessions().size).toBe(0);
    }
    // The same streamer publishes again at once (before the fix the dead session held the stream: 409 forever).
    const good = await post(LIVE_ID, await offer(), LIVE_KEY);
    expect(good.status).toBe(201);
    expect(ingest.publishing(LIVE_ID)).toBe(true);
    expect(pipe.started).toHaveLength(0);
    await ingest.stop();
    expect(ingest.publishing(LIVE_ID)).toBe(false);
  });

  test("a session that never receives media ends by itself, never reaching the pipeline", async () => {
    const { post, ingest, pipe } = await setup({ mediaTimeoutMs: 300 });
    expect((await post(LIVE_ID, await offer(), LIVE_KEY)).status).toBe(201);
    await until("the session to end", () => !ingest.publishing(LIVE_ID));
    expect(pipe.started).toHaveLength(0);
    expect(pipe.stopped).toHaveLength(0);
  });

  test("mounted under /whip in a parent app (as the media node does): Location resolves, errors keep CORS", async () => {
    const { ingest } = await setup();
    const parent = new Hono();
    parent.onError(errorHandler(createLogger({}, { silent: true })));
    parent.route("/whip", ingest.routes);
    const res = await parent.request(`/whip/${LIVE_ID}`, {
      method: "POST",
      headers: { "content-type": "application/sdp", authorization: `Bearer ${LIVE_KEY}` },
      body: await offer(),
    });
    expect(res.status).toBe(201);
    const location = res.headers.get("location") ?? "";
    const wrong = await parent.request(location, {
      method: "DELETE",
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("access-control-allow-origin")).toBe("*");
    expect((await errorOf(wrong)).code).toBe("unauthorized");
    const del = await parent.request(location, {
      method: "DELETE",
      headers: { authorization: `Bearer ${LIVE_KEY}` },
    });
    expect(del.status).toBe(200);
    expect(ingest.publishing(LIVE_ID)).toBe(false);
  });

  test("over the setup limit: 429 with Retry-After and the usual JSON error; the slot frees once answered", async () => {
    const released: string[] = [];
    let inSetup = 0;
    const { post } = await setup({
      limits: {
        admitWhipSetup: (ip) => {
          if (inSetup >= 1) return { status: 429, retryAfterSeconds: 2, message: "too many offers" };
          inSetup++;
          return () => {
            inSetup--;
            released.push(ip);
          };
        },
      },
    });
    const sdp = await offer();
    const [a, b] = await Promise.all([post(LIVE_ID, sdp, LIVE_KEY), post(OTHER_ID, sdp, OTHER_KEY)]);
    const refused = a.status === 429 ? a : b;
    expect([a.status, b.status].sort()).toEqual([201, 429]);
    expect(refused.headers.get("retry-after")).toBe("2");
    expect(await errorOf(refused)).toEqual({ code: "too_many_requests", message: "too many offers" });
    // Released after the answer (or a refusal further on): app.request has no peer address.
    expect(released).toEqual(["unknown"]);
    expect((await post(OTHER_ID, "garbage", OTHER_KEY)).status).toBe(400);
    expect(released).toHaveLength(2);
  });

  test("verification outage is 503, not 401", async () => {
    const { post } = await setup({
      verifyKey: async () => {
        throw new Error("manager unreachable");
      },
    });
    expect((await post(LIVE_ID, await offer(), LIVE_KEY)).status).toBe(503);
  });
});

describe("WHIP idle publisher", () => {
  test("media that stops after it flowed is a drop at the idle timeout, long before the media timeout", async () => {
    // A media timeout this test's 15 s wait could never see: only the idle timeout can end the session.
    await expectVanishedPublisherDropped(await setup({ mediaTimeoutMs: 600_000, idleTimeoutMs: 300 }));
  }, 30_000);
});

/**
 * The node's real StreamRegistry (its admission, state machine and packagers) with a transcoder that runs
 * no ffmpeg: each start begins an input on every packager and `produce` writes fragments into them.
 */
function registryAtLimit(maxStreams: number) {
  const dir = mkdtempSync(join(tmpdir(), "whip-registry-"));
  dirs.push(dir);
  const { registry, transcoders } = testRegistry({
    hlsDir: dir,
    admission: { budget: 100, maxStreams, preset: "ultrafast" },
  });
  return { registry, produce: transcoders.produce };
}

describe("WHIP on a full node", () => {
  test("a publish refused for capacity is a 503 with Retry-After and the JSON error; a publisher back within the grace is let in", async () => {
    const { registry, produce } = registryAtLimit(1);
    // Wired as main.ts wires the node's registry.
    const { post, ingest } = await setup({
      isLive: (id) => registry.isLive(id),
      refusal: (id) => registry.refusal(id),
    });
    const feed = fakeFeed();
    expect(await registry.publishStarted(LIVE_ID, feed)).toBe(true);
    produce(10);
    expect(registry.status(LIVE_ID).phase).toBe("live");

    const full = await post(OTHER_ID, await offer(), OTHER_KEY);
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBe("30");
    expect(full.headers.get("access-control-allow-origin")).toBe("*");
    expect(await errorOf(full)).toEqual({
      code: "at_capacity",
      message: "this media node is at its limit of 1 live streams",
    });
    expect(ingest.publishing(OTHER_ID)).toBe(false);

    // The live stream's publisher drops: its stream keeps its slot, and its publisher may come back over WHIP.
    await registry.publishStopped(LIVE_ID, feed, "dropped");
    expect(registry.status(LIVE_ID).phase).toBe("reconnecting");
    expect((await post(OTHER_ID, await offer(), OTHER_KEY)).status).toBe(503);
    const back = await post(LIVE_ID, await offer(), LIVE_KEY);
    expect(back.status).toBe(201);
    expect(ingest.publishing(LIVE_ID)).toBe(true);
    await ingest.stop();
    await registry.stopAll();
  }, 30_000);
});
