/**
 * The CDN in front of two REAL media nodes, each publishing a REAL stream: two platforms (manager + chat + media
 * node, media-harness's startPlatform), a real ffmpeg publishing over RTMP to each node, each node's packager
 * serving what its ffmpeg wrote, and the nginx shield + edge from infra/cdn.sh in front (media-1 and media-2).
 * The media node keeps no request counter, so origin fetches are counted in the shield's access log: every
 * shield MISS is exactly one request to a media node.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { StartedStream } from "@hearth/contracts";
import { burst, type RunningCdn, startCdn } from "./cdn-harness.ts";
import { createStream, lookup, type Platform, reap, startPlatform, until } from "./media-harness.ts";
import { publishLight } from "./support/media-node-process.ts";

// A 360p publish and a ladder whose only configured rung is taller: the node copies the source rung and
// encodes nothing, so two live streams cost the shared cores almost nothing beyond the publishers.
const LADDER = JSON.stringify({ rungs: [{ name: "720p", height: 720, videoKbps: 1000, audioKbps: 64 }] });

interface Node {
  id: string;
  platform: Platform;
  stream: StartedStream;
  publisher: Bun.Subprocess;
}

const nodes: Node[] = [];
let cdn: RunningCdn;

beforeAll(async () => {
  for (const id of ["media-1", "media-2"]) {
    const platform = await startPlatform({ HLS_LADDER: LADDER });
    const stream = await createStream(platform.managerUrl, `cdn ${id}`);
    const publisher = publishLight(`${stream.rtmp.server}/${stream.rtmp.streamKey}`, 180);
    nodes.push({ id, platform, stream, publisher });
  }
  cdn = await startCdn({ media: nodes.map((n) => ({ id: n.id, port: n.platform.ports.mediaHttp })) });
  for (const n of nodes) {
    await until(
      `${n.id}'s stream live`,
      30_000,
      async () => (await lookup(n.platform.managerUrl, n.stream.publicId)).live,
    );
    // A few complete segments, so a test can pick one nobody has asked for yet.
    await until(`${n.id}'s third segment`, 20_000, async () => (await segments(n)).length >= 3);
  }
}, 120_000);

afterAll(async () => {
  await cdn?.stop();
  for (const n of nodes) {
    n.publisher.kill("SIGKILL");
    await reap(n.publisher);
    await n.platform.stop();
  }
}, 60_000);

const node = (i: number): Node => {
  const n = nodes[i];
  if (!n) throw new Error(`no node ${i}`);
  return n;
};
/** The node's own HLS origin, bypassing the CDN (looking never warms a CDN cache). */
const direct = (n: Node, rel: string) => fetch(`${n.platform.mediaUrl}/hls/${n.stream.publicId}/${rel}`);
/** The same object through the edge, under the node's id. */
const viaEdge = (n: Node, rel: string) => `${cdn.edge}/hls/${n.id}/${n.stream.publicId}/${rel}`;

/** The complete segments the node's source rung lists now, oldest first (read from the node directly). */
async function segments(n: Node): Promise<string[]> {
  const res = await direct(n, "source/index.m3u8");
  if (res.status !== 200) return [];
  return (await res.text()).split("\n").filter((l) => /^seg-[a-z0-9]+-\d+\.m4s$/.test(l));
}

/** The newest complete segment of the node's source rung and its bytes, straight from the node. */
async function newestSegment(n: Node): Promise<{ name: string; bytes: Uint8Array }> {
  const name = (await segments(n)).at(-1);
  if (!name) throw new Error(`${n.id} lists no segment`);
  const res = await direct(n, `source/${name}`);
  expect(res.status).toBe(200);
  return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** Requests the shield sent to a media node for this path (one per shield MISS, counted in its log). */
async function originFetches(path: string): Promise<number> {
  // The access log is flushed every second (buffer=64k flush=1s).
  await Bun.sleep(1300);
  const log = await Bun.file(join(cdn.dir, "shield", "logs", "access.log")).text();
  return log.split("\n").filter((l) => l.includes(`GET ${path} `) && / cache=(MISS|EXPIRED) /.test(l)).length;
}

describe("edge → shield → real media nodes with live streams", () => {
  test("each node's streams are reached by its node id, and only there; headers are the origin's", async () => {
    const [one, two] = [node(0), node(1)];
    const master = await fetch(viaEdge(two, "master.m3u8"));
    expect(master.status).toBe(200);
    const text = await master.text();
    // The node's measured master: the copied source rung, with the attributes Hearth measured.
    expect(text).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,RESOLUTION=640x360,/);
    expect(text).toContain("source/index.m3u8");
    expect(master.headers.get("cache-control")).toBe("public, max-age=1");
    expect(master.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(master.headers.get("access-control-allow-origin")).toBe("*");
    expect(master.headers.get("x-cache-status")).toBe("MISS");
    // Ten viewers at once share the edge's copy (one per 100 ms window of the clock: hls-playlist.conf).
    const again = await burst(viaEdge(two, "master.m3u8"), 10);
    for (const r of again) expect(new TextDecoder().decode(r.body)).toBe(text);
    expect(again.filter((r) => r.headers.get("x-cache-status") === "HIT").length).toBeGreaterThan(0);
    // Each stream lives on its own node: under the other node's id it does not exist.
    expect((await fetch(viaEdge(one, "master.m3u8"))).status).toBe(200);
    expect((await fetch(`${cdn.edge}/hls/${one.id}/${two.stream.publicId}/master.m3u8`)).status).toBe(404);
    expect((await fetch(`${cdn.edge}/hls/${two.id}/${one.stream.publicId}/master.m3u8`)).status).toBe(404);
    // The variant and a segment through the edge are the node's own bytes.
    const variant = await fetch(viaEdge(two, "source/index.m3u8"));
    expect(variant.status).toBe(200);
    expect(await variant.text()).toContain("#EXT-X-PART-INF:PART-TARGET=");
    const seg = await newestSegment(two);
    const got = await fetch(viaEdge(two, `source/${seg.name}`));
    expect(got.headers.get("content-type")).toBe("video/mp4");
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(seg.bytes))).toBe(true);
  }, 30_000);

  test("200 concurrent viewers of a new segment: one fetch from the media node", async () => {
    const n = node(1);
    // A segment completed after the set-up's: nobody has asked the CDN for it.
    const seen = (await segments(n)).at(-1);
    await until("a new segment", 10_000, async () => (await segments(n)).at(-1) !== seen);
    const seg = await newestSegment(n);
    expect(seg.bytes.length).toBeGreaterThan(1000);
    const res = await burst(viaEdge(n, `source/${seg.name}`), 200);
    for (const r of res) {
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(seg.bytes.length);
      expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    }
    expect(Buffer.from(res[0]?.body ?? []).equals(Buffer.from(seg.bytes))).toBe(true);
    expect(res.filter((r) => r.headers.get("x-cache-status") === "MISS").length).toBe(1);
    expect(await originFetches(`/hls/${n.id}/${n.stream.publicId}/source/${seg.name}`)).toBe(1);
  }, 30_000);

  test("the origin's 404 passes through, and a burst of them is one fetch", async () => {
    const n = node(0);
    // A segment of this live session that will not exist for days.
    const tag = /^seg-([a-z0-9]+)-/.exec((await segments(n))[0] ?? "")?.[1];
    expect(tag).toBeDefined();
    const name = `seg-${tag}-999999.m4s`;
    const res = await burst(viaEdge(n, `source/${name}`), 50);
    for (const r of res) expect(r.status).toBe(404);
    const first = res[0];
    expect(JSON.parse(new TextDecoder().decode(first?.body)).error.code).toBe("not_found");
    expect(first?.headers.get("cache-control")).toBe("no-store");
    expect(await originFetches(`/hls/${n.id}/${n.stream.publicId}/source/${name}`)).toBe(1);
  }, 30_000);

  test("Range on a real segment", async () => {
    const n = node(0);
    const seg = await newestSegment(n);
    const res = await fetch(viaEdge(n, `source/${seg.name}`), { headers: { Range: "bytes=188-375" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 188-375/${seg.bytes.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(seg.bytes.subarray(188, 376)))).toBe(true);
  }, 30_000);

  test("the preview (thumb.jpg, from the node's disk) through the edge", async () => {
    const n = node(0);
    await until("a preview", 20_000, async () => (await direct(n, "thumb.jpg")).status === 200);
    const res = await fetch(viaEdge(n, "thumb.jpg"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    const jpeg = new Uint8Array(await res.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
  }, 30_000);
});
