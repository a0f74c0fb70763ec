/**
 * Scale-out through the CDN with real processes on loopback: one manager and one chat node (in this process, on
 * one fresh Postgres schema), two media nodes as their own processes (media-1, media-2) heart-beating to the
 * manager, and the nginx shield + edge from infra/cdn.sh in front. Streams are created through the edge's /api/,
 * published with real ffmpeg, and played through the edge. One node is then crashed with SIGKILL: its stream must
 * show offline within 10 s, and the streamer reconnecting to the surviving node keeps the public id and plays again.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type StartedStream, StartedStream as StartedStreamSchema } from "@hearth/contracts";
import { type DatabaseHandle, mediaNodes, streams } from "@hearth/db";
import { type RunningCdn, startCdn } from "./cdn-harness.ts";
import { lookup, reap, TOKEN, until } from "./media-harness.ts";
import { capturingLogger } from "./support/capturing-logger.ts";
import { type ControlPlane, startControlPlane } from "./support/control-plane.ts";
import { NO_CREATION_LIMITS } from "./support/creation-limits.ts";
import { type MediaNodeProcess, publishLight, spawnMediaNode } from "./support/media-node-process.ts";
import { freePort } from "./support/ports.ts";

// Heartbeats come every 2 s; 4 s tolerates one late beat on a busy machine without flapping a healthy node
// down, and still bounds "crash → offline" by 4 s + one 2 s sweep.
const NODE_TIMEOUT_MS = 4000;
// One copied source rung plus one small encode per stream: two live streams stay cheap on 2 shared cores.
const LADDER = JSON.stringify({
  sourceKbps: 800,
  sourceMaxHeight: 1080,
  rungs: [{ name: "180p", height: 180, videoKbps: 200, audioKbps: 64 }],
});

let db: DatabaseHandle;
let cdn: RunningCdn;
let edge = "";
let managerUrl = "";
let cp: ControlPlane | undefined;
const nodes = new Map<string, MediaNodeProcess>();
const publishers: Bun.Subprocess[] = [];
const logLines: string[] = [];
const logger = capturingLogger(logLines);
/** The two streams, by the node each was placed on. */
const placed = new Map<string, StartedStream>();

beforeAll(async () => {
  const edgePort = freePort();
  edge = `http://127.0.0.1:${edgePort}`;
  cp = await startControlPlane({
    token: TOKEN,
    logger,
    dbMax: 4,
    env: { ...NO_CREATION_LIMITS },
    managerEnv: { NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS) },
  });
  db = cp.db;
  managerUrl = cp.managerUrl;
  for (const id of ["media-1", "media-2"]) {
    const env = { X264_PRESET: "ultrafast", HLS_LADDER: LADDER };
    nodes.set(id, await spawnMediaNode({ id, managerUrl, token: TOKEN, edge, env }));
  }
  cdn = await startCdn({
    edgePort,
    media: [...nodes.values()].map((n) => ({ id: n.id, port: n.httpPort })),
    manager: [cp.managerPort],
    chat: [cp.chatPort],
  });
  await until("both media nodes registered with the manager", 15_000, async () => {
    const rows = await db.db.select().from(mediaNodes);
    return rows.length === 2 && rows.every((r) => Date.now() - r.heartbeatAt.getTime() < 3000);
  });
}, 90_000);

afterAll(async () => {
  for (const p of publishers) {
    p.kill("SIGKILL");
    await p.exited;
  }
  await cdn?.stop();
  for (const n of nodes.values()) await n.stop();
  await cp?.stop();
});

function node(id: string): MediaNodeProcess {
  const n = nodes.get(id);
  if (!n) throw new Error(`no media node ${id}`);
  return n;
}

function stream(nodeId: string): StartedStream {
  const s = placed.get(nodeId);
  if (!s) throw new Error(`no stream was placed on ${nodeId}`);
  return s;
}

async function startStream(name: string): Promise<StartedStream> {
  const res = await fetch(`${edge}/api/start_stream?name=${encodeURIComponent(name)}`, { method: "POST" });
  expect(res.status).toBe(201);
  return StartedStreamSchema.parse(await res.json());
}

function publishTo(s: StartedStream, server: string): Bun.Subprocess {
  const p = publishLight(`${server}/${s.privateId}`, 150);
  publishers.push(p);
  return p;
}

/**
 * Plays a stream the way a viewer does, only through the edge: master → variant → a segment, which must be
 * under `/hls/<nodeId>/<publicId>/` and be real H.264 + AAC (ffprobe reads it through the edge too).
 */
async function playsThroughEdge(s: { publicId: string; hlsUrl: string }, nodeId: string): Promise<void> {
  expect(s.hlsUrl).toBe(`${edge}/hls/${nodeId}/${s.publicId}/master.m3u8`);
  const master = await until(`${s.publicId}'s master playlist through the edge`, 40_000, async () => {
    const r = await fetch(s.hlsUrl);
    return r.status === 200 ? await r.text() : undefined;
  });
  const variant = master.split("\n").find((l) => l.endsWith(".m3u8"));
  if (!variant) throw new Error(`no variant in the master playlist:\n${master}`);
  const variantUrl = new URL(variant, s.hlsUrl).toString();
  const { segment, init } = await until(`a segment of ${s.publicId}`, 30_000, async () => {
    const r = await fetch(variantUrl);
    const lines = r.status === 200 ? (await r.text()).split("\n") : [];
    const at = lines.findIndex((l) => l.endsWith(".m4s"));
    if (at < 0) return undefined;
    // A CMAF segment decodes only after its init segment: the last EXT-X-MAP before it.
    const map = lines.slice(0, at).findLast((l) => l.startsWith("#EXT-X-MAP:"));
    return { segment: lines[at] as string, init: /URI="([^"]+)"/.exec(map ?? "")?.[1] };
  });
  const segUrl = new URL(segment, variantUrl).toString();
  expect(segUrl.startsWith(`${edge}/hls/${nodeId}/${s.publicId}/`)).toBe(true);
  const res = await fetch(segUrl);
  expect(res.status).toBe(200);
  const body = new Uint8Array(await res.arrayBuffer());
  expect(body.byteLength).toBeGreaterThan(1000);
  if (!init) throw new Error(`no EXT-X-MAP before ${segment}`);
  const head = new Uint8Array(await (await fetch(new URL(init, variantUrl))).arrayBuffer());
  // ffprobe reads what came through the edge: init + CMAF segment, on stdin.
  const probe = Bun.spawn(
    [
      "ffprobe",
      "-v",
      "error",
      "-show_entries",
      "stream=codec_type,codec_name,height",
      "-of",
      "json",
      "pipe:0",
    ],
    { stdin: new Blob([head, body]), stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(probe.stdout).text();
  expect(await reap(probe, 20_000)).toBe(0);
  const found = (
    JSON.parse(out) as { streams: Array<{ codec_type: string; codec_name: string; height?: number }> }
  ).streams;
  expect(found.some((x) => x.codec_name === "h264" && (x.height ?? 0) > 0)).toBe(true);
  expect(found.some((x) => x.codec_type === "audio")).toBe(true);
}

describe("two media nodes behind one edge", () => {
  test("two streams land on different nodes and both play through the same edge", async () => {
    const first = await startStream("scale-out one");
    const second = await startStream("scale-out two");
    for (const s of [first, second]) {
      const id = /\/hls\/(media-[12])\//.exec(s.hlsUrl)?.[1];
      if (!id) throw new Error(`hlsUrl names no media node: ${s.hlsUrl}`);
      expect(s.rtmp.server).toBe(node(id).rtmpServer);
      expect(s.whipUrl).toBe(`${edge}/whip/${id}/${s.publicId}`);
      placed.set(id, s);
    }
    expect([...placed.keys()].sort()).toEqual(["media-1", "media-2"]);
    expect(first.rtmp.server).not.toBe(second.rtmp.server);

    for (const s of [first, second]) publishTo(s, s.rtmp.server);
    for (const [id, s] of placed) {
      await until(
        `${s.publicId} live in the manager`,
        40_000,
        async () => (await lookup(managerUrl, s.publicId)).live,
      );
      await playsThroughEdge(s, id);
    }
  }, 150_000);

  test("a crashed node's stream shows offline; the other stays live", async () => {
    const victim = stream("media-1");
    expect((await lookup(managerUrl, victim.publicId)).live).toBe(true);
    const t0 = performance.now();
    node("media-1").crash();
    // Within the cap (generous for a loaded machine); the figure itself is printed, not asserted.
    await until(
      "the crashed node's stream offline",
      15_000,
      async () => !(await lookup(managerUrl, victim.publicId)).live,
    );
    const offlineMs = Math.round(performance.now() - t0);
    console.log(`scale-out: media-1 SIGKILLed → its stream offline in the manager after ${offlineMs} ms`);
    expect((await lookup(managerUrl, stream("media-2").publicId)).live).toBe(true);
  }, 30_000);

  test("republishing the same key to the surviving node brings the same public id back there", async () => {
    const s = stream("media-1");
    const survivor = node("media-2");
    publishTo(s, survivor.rtmpServer);
    const back = await until("the stream live again on media-2", 40_000, async () => {
      const l = await lookup(managerUrl, s.publicId);
      return l.live && l.hlsUrl.includes("/hls/media-2/") ? l : undefined;
    });
    expect(back.publicId).toBe(s.publicId);
    expect(back.hlsUrl).toBe(`${edge}/hls/media-2/${s.publicId}/master.m3u8`);
    // The manager's record of where a streamer connects moved too (the public lookup does not show it).
    const row = (await db.db.select().from(streams)).find((r) => r.publicId === s.publicId);
    expect(row?.mediaNode).toBe("media-2");
    expect(row?.rtmpServer).toBe(survivor.rtmpServer);
    // The public API through the edge says the same.
    const viaEdge = await (await fetch(`${edge}/api/stream/${s.publicId}`)).json();
    expect(viaEdge).toMatchObject({ publicId: s.publicId, live: true, hlsUrl: back.hlsUrl });
    await playsThroughEdge(back, "media-2");
    // The other stream was never disturbed.
    expect((await lookup(managerUrl, stream("media-2").publicId)).live).toBe(true);

    const keys = [...placed.values()].map((x) => x.privateId);
    const logs = [logLines.join("\n"), survivor.log()];
    for (const k of keys) for (const l of logs) expect(l.includes(k)).toBe(false);
  }, 120_000);
});
