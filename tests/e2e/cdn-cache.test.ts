/**
 * The CDN's caching through real nginx (edge → shield → origin), counted at the origin. The origin here is the
 * counting stand-in from cdn-harness.ts; cdn-media.test.ts runs the same paths against the real media nodes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { burst, publicId, type RunningCdn, StandInOrigin, startCdn } from "./cdn-harness.ts";
import { until } from "./support/until.ts";

let one: StandInOrigin;
let two: StandInOrigin;
let cdn: RunningCdn;

beforeAll(async () => {
  one = new StandInOrigin("media-1");
  two = new StandInOrigin("media-2");
  cdn = await startCdn({
    media: [
      { id: "media-1", port: one.port },
      { id: "media-2", port: two.port },
    ],
  });
});

afterAll(async () => {
  await cdn?.stop();
  await one?.stop();
  await two?.stop();
});

/**
 * The 100 ms windows of the clock in which the `requests` requests for `path` reached the edge, from its access
 * log (the request began at t − rt: end time minus duration), once the log holds all of them (it is flushed
 * every second).
 */
async function edgeWindows(path: string, requests: number): Promise<Set<number>> {
  const starts = await until(`${requests} lines for ${path} in the edge's access log`, 15_000, async () => {
    const log = await Bun.file(join(cdn.dir, "edge", "logs", "access.log")).text();
    const found: number[] = [];
    for (const l of log.split("\n")) {
      const m = / rt=([0-9.]+) .* t=([0-9.]+)$/.exec(l);
      if (l.includes(`GET /hls/media-1${path.slice(4)} `) && m) found.push(Number(m[2]) - Number(m[1]));
    }
    return found.length >= requests && found;
  });
  return new Set(starts.map((t) => Math.floor(t * 10 + 1e-6)));
}

const segment = (n: number) => new Uint8Array(188 * 1000).map((_, i) => (i * 31 + n) % 251);

describe("collapsing: N viewers, one upstream request", () => {
  test("200 concurrent viewers of a brand-new segment cause exactly 1 request at the origin", async () => {
    const id = publicId();
    const body = segment(1);
    await one.put(`${id}/720p/seg_a_1.ts`, body);
    one.delayMs = 300;
    try {
      const res = await burst(`${cdn.edge}/hls/media-1/${id}/720p/seg_a_1.ts`, 200);
      expect(one.count(`/hls/${id}/720p/seg_a_1.ts`)).toBe(1);
      for (const r of res) {
        expect(r.status).toBe(200);
        expect(r.body.length).toBe(body.length);
      }
      expect(Buffer.from(res[199]?.body ?? []).equals(Buffer.from(body))).toBe(true);
      // One viewer filled the edge cache; everyone else was served from it.
      const statuses = res.map((r) => r.headers.get("x-cache-status"));
      expect(statuses.filter((s) => s === "MISS").length).toBe(1);
      expect(statuses.filter((s) => s === "HIT").length).toBe(199);
    } finally {
      one.delayMs = 0;
    }
  });

  test("200 viewers of a playlist at once share one request per 100 ms window; a change shows on the next request", async () => {
    const id = publicId();
    const path = `/hls/${id}/720p/index.m3u8`;
    await one.put(`${id}/720p/index.m3u8`, "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:1\n");
    one.delayMs = 20;
    try {
      const res = await burst(`${cdn.edge}/hls/media-1${path.slice(4)}`, 200);
      for (const r of res) expect(new TextDecoder().decode(r.body)).toContain("MEDIA-SEQUENCE:1");
      // The key carries the 100 ms window of the clock (hls-playlist.conf): one origin request per window the
      // burst touched, however many viewers. The edge's log says which windows those were.
      const windows = await edgeWindows(path, res.length);
      expect(windows.size).toBeGreaterThan(0);
      expect(one.count(path)).toBeGreaterThan(0);
      expect(one.count(path)).toBeLessThanOrEqual(windows.size);
      expect(one.count(path)).toBeLessThan(res.length / 4);
    } finally {
      one.delayMs = 0;
    }
    await one.put(`${id}/720p/index.m3u8`, "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:2\n");
    // Nothing is kept past its window at either tier: the next request, a window later, sees the change.
    await Bun.sleep(150);
    const text = await (await fetch(`${cdn.edge}/hls/media-1${path.slice(4)}`)).text();
    expect(text).toContain("MEDIA-SEQUENCE:2");
  });

  test("a segment asked for before it exists: 404 cached briefly, then the segment", async () => {
    const id = publicId();
    const url = `${cdn.edge}/hls/media-1/${id}/720p/seg_a_9.ts`;
    const misses = await burst(url, 50);
    for (const r of misses) expect(r.status).toBe(404);
    expect(one.count(`/hls/${id}/720p/seg_a_9.ts`)).toBe(1);
    expect(misses[0]?.headers.get("access-control-allow-origin")).toBe("*");
    await one.put(`${id}/720p/seg_a_9.ts`, segment(9));
    await until(
      "the segment instead of the cached 404",
      6000,
      async () => (await fetch(url)).status === 200,
      200,
    );
  });
});

describe("headers", () => {
  test("segments: immutable, CORS once, X-Cache-Status MISS then HIT, Range cut from the cache", async () => {
    const id = publicId();
    const body = segment(2);
    await one.put(`${id}/480p/seg_b_3.ts`, body);
    const url = `${cdn.edge}/hls/media-1/${id}/480p/seg_b_3.ts`;
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(first.headers.get("content-type")).toBe("video/mp2t");
    expect(first.headers.get("x-cache-status")).toBe("MISS");
    expect(first.headers.get("x-upstream-cache-status")).toBe("MISS");
    // A second Access-Control-Allow-Origin (origin's + ours) would make browsers refuse the response.
    expect(first.headers.get("access-control-allow-origin")).toBe("*");
    expect(first.headers.get("access-control-expose-headers")).toContain("Content-Range");
    await first.arrayBuffer();
    const second = await fetch(url);
    expect(second.headers.get("x-cache-status")).toBe("HIT");
    await second.arrayBuffer();

    const ranged = await fetch(url, { headers: { Range: "bytes=100-199" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes 100-199/${body.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(Buffer.from(body.subarray(100, 200)))).toBe(true);
    // The origin only ever saw one whole-object request.
    expect(one.requests.filter((r) => r.path === `/hls/${id}/480p/seg_b_3.ts`)).toEqual([
      { method: "GET", path: `/hls/${id}/480p/seg_b_3.ts`, query: "", range: null, authorization: null },
    ]);
  });

  test("a Range request for an uncached segment is answered 206 and fills the cache whole", async () => {
    const id = publicId();
    const body = segment(4);
    await one.put(`${id}/360p/seg_c_1.ts`, body);
    const url = `${cdn.edge}/hls/media-1/${id}/360p/seg_c_1.ts`;
    const ranged = await fetch(url, { headers: { Range: "bytes=0-99" } });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);
    const whole = await fetch(url);
    expect(whole.headers.get("x-cache-status")).toBe("HIT");
    expect((await whole.arrayBuffer()).byteLength).toBe(body.length);
    expect(one.count(`/hls/${id}/360p/seg_c_1.ts`)).toBe(1);
  });

  test("playlists: max-age=1 from the origin, HLS content type, OPTIONS answered at the edge", async () => {
    const id = publicId();
    await one.put(`${id}/master.m3u8`, "#EXTM3U\n");
    const res = await fetch(`${cdn.edge}/hls/media-1/${id}/master.m3u8`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=1");
    expect(res.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(res.headers.get("x-cache-status")).toBe("MISS");
    await res.text();
    const pre = await fetch(`${cdn.edge}/hls/media-1/${id}/master.m3u8`, {
      method: "OPTIONS",
      headers: { Origin: "https://elsewhere.example", "Access-Control-Request-Headers": "range" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-headers")).toBe("Range");
    expect(one.requests.filter((r) => r.method === "OPTIONS")).toEqual([]);
  });

  test("playlist keys include the query string (LL-HLS); segment keys ignore it", async () => {
    const id = publicId();
    await one.put(`${id}/720p/index.m3u8`, "#EXTM3U\n");
    await one.put(`${id}/720p/seg_d_1.ts`, segment(5));
    const base = `${cdn.edge}/hls/media-1/${id}/720p`;
    for (const q of ["", "?_HLS_msn=5&_HLS_part=1", "?_HLS_msn=5&_HLS_part=2", "?_HLS_msn=5&_HLS_part=1"])
      await (await fetch(`${base}/index.m3u8${q}`)).text();
    const seen = one.requests.filter((r) => r.path === `/hls/${id}/720p/index.m3u8`).map((r) => r.query);
    expect(seen).toEqual(["", "?_HLS_msn=5&_HLS_part=1", "?_HLS_msn=5&_HLS_part=2"]);
    for (const q of ["", "?bust=1", "?bust=2"]) await (await fetch(`${base}/seg_d_1.ts${q}`)).arrayBuffer();
    expect(one.count(`/hls/${id}/720p/seg_d_1.ts`)).toBe(1);
  });
});

describe("routing by media node", () => {
  test("/hls/<nodeId>/ reaches that node; a path without a node id goes to the default node", async () => {
    const id = publicId();
    await one.put(`${id}/master.m3u8`, "#EXTM3U\n#one\n");
    await two.put(`${id}/master.m3u8`, "#EXTM3U\n#two\n");
    expect(await (await fetch(`${cdn.edge}/hls/media-1/${id}/master.m3u8`)).text()).toContain("#one");
    expect(await (await fetch(`${cdn.edge}/hls/media-2/${id}/master.m3u8`)).text()).toContain("#two");
    expect(await (await fetch(`${cdn.edge}/hls/${id}/master.m3u8`)).text()).toContain("#one");
    expect(two.count(`/hls/${id}/master.m3u8`)).toBe(1);
  });

  test("WHIP goes through uncached to the node, keeps Authorization, and Location keeps the node prefix", async () => {
    const id = publicId();
    const url = `${cdn.edge}/whip/media-2/${id}`;
    const refused = await fetch(url, {
      method: "POST",
      body: "v=0\r\n",
      headers: { "Content-Type": "application/sdp" },
    });
    expect(refused.status).toBe(401);
    const offer = {
      method: "POST",
      body: "v=0\r\n",
      headers: { "Content-Type": "application/sdp", Authorization: "Bearer k" },
    };
    const created = await fetch(url, offer);
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/whip/media-2/${id}/session-1`);
    await fetch(url, offer);
    const ended = await fetch(`${cdn.edge}${created.headers.get("location")}`, {
      method: "DELETE",
      headers: { Authorization: "Bearer k" },
    });
    expect(ended.status).toBe(204);
    const seen = two.requests.filter((r) => r.path.startsWith(`/whip/${id}`));
    expect(seen.map((r) => `${r.method} ${r.path} ${r.authorization}`)).toEqual([
      `POST /whip/${id} null`,
      `POST /whip/${id} Bearer k`,
      `POST /whip/${id} Bearer k`,
      `DELETE /whip/${id}/session-1 Bearer k`,
    ]);
  });
});
