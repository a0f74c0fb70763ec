/**
 * LL-HLS through the CDN: Hearth's packager (fed by a real -re ffmpeg) as the origin, the real nginx shield +
 * edge from infra/cdn.sh in front, and hls.js 1.7.4 in headless Chromium playing the edge's URL in
 * low-latency mode (how far behind it plays is measured by bench/latency, not asserted here). Also the HTTP rules one request at a time: blocking reloads keyed by their query and
 * answered when the part exists, parts immutable and cached, the hinted part held and passed through.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningCdn, startCdn } from "./cdn-harness.ts";
import { type LlhlsRig, PUBLIC_ID, startLlhlsRig } from "./llhls-harness.ts";
import { view } from "./support/chromium-viewer.ts";
import { type NextPart, nextPart } from "./support/live-edge-client.ts";
import { until } from "./support/until.ts";

let rig: LlhlsRig;
let cdn: RunningCdn;
/** Every request that reached the origin (path + query). */
const originSaw: string[] = [];

beforeAll(async () => {
  rig = startLlhlsRig({ pathPrefix: "/hls", onRequest: (u) => originSaw.push(u.pathname + u.search) });
  rig.startInput();
  cdn = await startCdn({ media: [{ id: "media-1", port: Number(new URL(rig.url).port) }] });
  await until("three complete segments of the hi rung", 20_000, () => {
    return (rig.stream.rendition("hi")?.lastCompleteMsn() ?? -1) >= 2;
  });
}, 40_000);

afterAll(async () => {
  await cdn?.stop();
  await rig?.stop();
}, 30_000);

const variant = () => `${cdn.edge}/hls/media-1/${PUBLIC_ID}/hi/index.m3u8`;

/** The part after the last EXT-X-PART of a playlist, as (msn, index), and the preload hint's URI. */
function nextPartOrThrow(text: string): NextPart {
  const next = nextPart(text);
  if (!next) throw new Error(`not an LL-HLS playlist:\n${text}`);
  return next;
}

test("a blocking reload through the edge waits for its part, is keyed by its query, then is a cache hit", async () => {
  const now = await (await fetch(`${variant()}?_HLS_msn=0`)).text(); // msn 0 exists: answered at once, fresh
  const next = nextPartOrThrow(now);
  const url = `${variant()}?_HLS_msn=${next.msn}&_HLS_part=${next.part}`;
  const res = await fetch(url);
  const body = await res.text();
  // Answered (not the origin's 503 after 3 target durations), naming the part it waited for: the old hint is now
  // a listed part.
  expect(res.status).toBe(200);
  expect(body).toContain(`URI="${next.hint}"`);
  expect(body.split("\n").some((l) => l.startsWith("#EXT-X-PART:") && l.includes(next.hint))).toBe(true);
  expect(originSaw).toContain(`/hls/${PUBLIC_ID}/hi/index.m3u8?_HLS_msn=${next.msn}&_HLS_part=${next.part}`);
  const again = await fetch(url);
  expect(again.headers.get("x-cache-status")).toBe("HIT");
  expect(await again.text()).toBe(body);
  // Another query is another playlist (the key includes it), never the cached one above.
  const skip = await fetch(`${url}&_HLS_skip=YES`);
  expect(skip.headers.get("x-cache-status")).toBe("MISS");
  expect(skip.status).toBe(200);
  await skip.text();
  expect(originSaw).toContain(
    `/hls/${PUBLIC_ID}/hi/index.m3u8?_HLS_msn=${next.msn}&_HLS_part=${next.part}&_HLS_skip=YES`,
  );
}, 30_000);

test("the preload-hinted part is passed through, held until complete, then immutable and cached", async () => {
  const next = nextPartOrThrow(await (await fetch(`${variant()}?_HLS_msn=0`)).text());
  const partUrl = `${cdn.edge}/hls/media-1/${PUBLIC_ID}/hi/${next.hint}`;
  // Three viewers ask for the hinted part before it exists: all get it whole.
  const got = await Promise.all([0, 1, 2].map(() => fetch(partUrl)));
  const bodies = await Promise.all(got.map(async (r) => new Uint8Array(await r.arrayBuffer())));
  for (const r of got) expect(r.status).toBe(200);
  expect(bodies[0]?.length ?? 0).toBeGreaterThan(100);
  for (const b of bodies) expect(Bun.hash(b)).toBe(Bun.hash(bodies[0] ?? new Uint8Array()));
  expect(got[0]?.headers.get("cache-control")).toContain("immutable");
  const later = await fetch(partUrl);
  expect(later.headers.get("x-cache-status")).toBe("HIT");
  await later.arrayBuffer();
  expect(originSaw.filter((p) => p.endsWith(`/${next.hint}`)).length).toBeLessThanOrEqual(3);
}, 30_000);

test("hls.js in low-latency mode plays through the edge, loading parts from it", async () => {
  const r = await view(`${cdn.edge}/hls/media-1/${PUBLIC_ID}/master.m3u8`, { lowLatency: true, seconds: 12 });
  expect(r.errors.filter((e) => e.endsWith(":fatal"))).toEqual([]);
  expect(r.firstFrameMs).not.toBeNull();
  expect(r.played).toBeGreaterThan(9);
  // hls.js loaded parts (not only whole segments), and from the edge's host.
  expect(r.partsLoaded).toBeGreaterThan(20);
  expect(r.lastPartUrl ?? "").toStartWith(`${cdn.edge}/hls/media-1/`);
  // It knows where it is in the stream (program date-time); how far behind is bench/latency's question.
  expect(r.latencies.length).toBeGreaterThan(8);
  // The edge's own log agrees: parts and blocking reloads were served by it (flushed every second).
  const served = (l: string, what: string) => / 200 /.test(l) && l.includes(what);
  await until("the edge's log to show more than 20 parts and 20 blocking reloads", 10_000, () => {
    const log = readFileSync(join(cdn.dir, "edge", "logs", "access.log"), "utf8").split("\n");
    return (
      log.filter((l) => served(l, "/part-")).length > 20 &&
      log.filter((l) => served(l, "_HLS_msn=")).length > 20
    );
  });
}, 60_000);
