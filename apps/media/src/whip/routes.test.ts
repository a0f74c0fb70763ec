import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, errorHandler } from "@hearth/server-kit";
import { Hono } from "hono";
import { RTCPeerConnection, type RTCRtpCodecParameters, useH264, useOPUS, useVP8 } from "werift";
import type { ChildHandle, SpawnFfmpeg } from "./ffmpeg-spawn.ts";
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

/** Stands in for the relay ffmpeg: records each start and exits when killed (or when told to). */
function fakeFfmpeg() {
  const started: { args: string[]; killed: boolean; exit(code: number): void }[] = [];
  const spawn: SpawnFfmpeg = (args) => {
    let exit: (code: number | null) => void = () => undefined;
    const exited = new Promise<number | null>((resolve) => {
      exit = resolve;
    });
    const entry = { args, killed: false, exit: (code: number) => exit(code) };
    started.push(entry);
    const handle: ChildHandle = {
      pid: 100000 + started.length,
      exited,
      kill: () => {
        entry.killed = true;
        exit(null);
      },
    };
    return handle;
  };
  return { spawn, started };
}

async function setup(over: Partial<WhipDeps> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "whip-routes-"));
  dirs.push(dir);
  const ffmpeg = fakeFfmpeg();
  const keys = new Map([
    [LIVE_KEY, LIVE_ID],
    [OTHER_KEY, OTHER_ID],
  ]);
  const liveElsewhere = new Set<string>();
  const ingest = createWhipIngest({
    verifyKey: async (key) => keys.get(key) ?? null,
    streamExists: async (id) => [...keys.values()].includes(id),
    isLive: (id) => liveElsewhere.has(id),
    rtmpUrl: (key) => `rtmp://127.0.0.1:1935/live/${key}`,
    spawnFfmpeg: ffmpeg.spawn,
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
  return { ingest, ffmpeg, keys, liveElsewhere, request, post };
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
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

  test("a good offer: 201, SDP answer with host candidates, Location; the relay publishes with the key", async () => {
    const { ingest, ffmpeg, post } = await setup();
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
    expect(ffmpeg.started).toHaveLength(1);
    expect(ffmpeg.started[0]?.args.at(-1)).toBe(`rtmp://127.0.0.1:1935/live/${LIVE_KEY}`);
    await ingest.stop();
  });

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

  test("a VP8-only client is accepted and its video is transcoded to H.264 by the relay", async () => {
    const { post, ffmpeg, ingest } = await setup();
    const res = await post(LIVE_ID, await offer([useVP8()]), LIVE_KEY);
    expect(res.status).toBe(201);
    expect(await res.text()).toMatch(/a=rtpmap:\d+ VP8\/90000/);
    expect(ffmpeg.started[0]?.args.join(" ")).toContain("-c:v libx264");
    await ingest.stop();
  });

  test("a second publisher is 409 and does not disturb the live one; DELETE ends it and frees the stream", async () => {
    const { post, request, ingest, ffmpeg, liveElsewhere } = await setup();
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
    expect(ffmpeg.started).toHaveLength(1);
    expect(ffmpeg.started[0]?.killed).toBe(false);

    const del = await request(path, { method: "DELETE", headers: { authorization: `Bearer ${LIVE_KEY}` } });
    expect(del.status).toBe(200);
    expect(ingest.publishing(LIVE_ID)).toBe(false);
    // The relay was stopped: the RTMP publisher leaves and the node marks the stream offline.
    expect(ffmpeg.started[0]?.killed).toBe(true);
    expect(
      (await request(path, { method: "DELETE", headers: { authorization: `Bearer ${LIVE_KEY}` } })).status,
    ).toBe(404);
    expect((await post(LIVE_ID, await offer(), LIVE_KEY)).status).toBe(201);
    await ingest.stop();
  });

  test("a session that never receives media ends by itself and stops its relay", async () => {
    const { post, ingest, ffmpeg } = await setup({ mediaTimeoutMs: 300 });
    expect((await post(LIVE_ID, await offer(), LIVE_KEY)).status).toBe(201);
    const deadline = Date.now() + 5000;
    while (ingest.publishing(LIVE_ID) && Date.now() < deadline) await Bun.sleep(100);
    expect(ingest.publishing(LIVE_ID)).toBe(false);
    expect(ffmpeg.started[0]?.killed).toBe(true);
  });

  test("a relay that exits is restarted while the key is valid, and the session ends once it is not", async () => {
    const { post, ingest, ffmpeg, keys } = await setup();
    expect((await post(LIVE_ID, await offer(), LIVE_KEY)).status).toBe(201);
    ffmpeg.started[0]?.exit(1);
    const deadline = Date.now() + 5000;
    while (ffmpeg.started.length < 2 && Date.now() < deadline) await Bun.sleep(50);
    expect(ffmpeg.started).toHaveLength(2);
    expect(ingest.publishing(LIVE_ID)).toBe(true);
    // The stream was ended in the manager: the key no longer opens it, so no further restart.
    keys.delete(LIVE_KEY);
    ffmpeg.started[1]?.exit(1);
    while (ingest.publishing(LIVE_ID) && Date.now() < deadline + 5000) await Bun.sleep(50);
    expect(ingest.publishing(LIVE_ID)).toBe(false);
    expect(ffmpeg.started).toHaveLength(2);
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

  test("verification outage is 503, not 401", async () => {
    const { post } = await setup({
      verifyKey: async () => {
        throw new Error("manager unreachable");
      },
    });
    expect((await post(LIVE_ID, await offer(), LIVE_KEY)).status).toBe(503);
  });
});
