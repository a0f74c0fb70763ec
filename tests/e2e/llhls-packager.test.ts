/**
 * LL-HLS end to end: a real ffmpeg (-re lavfi, two rungs) writes CMAF to extra pipes, Hearth's packager
 * turns it into parts and segments, and a client loop reads it like an LL-HLS player does (blocking
 * reloads for the next part, the hinted part), parsing every playlist strictly with hls-parser.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkLlhlsPlaylist,
  type ParsedMediaPlaylist,
  partUris,
} from "../../apps/media/testing/playlist-conformance.ts";
import { type LlhlsRig, startLlhlsRig } from "./llhls-harness.ts";
import { masterVariants } from "./support/master-playlist.ts";
import { until } from "./support/until.ts";

const partId = (uri: string) => Number(/part-e2e-(\d+)\.m4s$/.exec(uri)?.[1] ?? Number.NaN);

interface Observed {
  playlists: ParsedMediaPlaylist[];
  /** part id → (msn, index, independent, duration), as every playlist listed it. */
  parts: Map<number, { msn: number; index: number; independent: boolean; duration: number }>;
  blocking: { sentAt: number; gotAt: number; id: number; appearedAt: number }[];
  hinted: { id: number; sentAt: number; gotAt: number; bytesMatch: boolean; appearedAt: number }[];
  discontinuities: Set<number>;
  maps: Map<number, string>;
}

let rig: LlhlsRig;
const appeared = new Map<number, number>();
const observed: Observed = {
  playlists: [],
  parts: new Map(),
  blocking: [],
  hinted: [],
  discontinuities: new Set(),
  maps: new Map(),
};

function record(text: string): ParsedMediaPlaylist {
  const pl = checkLlhlsPlaylist(text);
  observed.playlists.push(pl);
  for (const p of partUris(pl)) {
    const id = partId(p.uri);
    const prev = observed.parts.get(id);
    if (prev) expect([prev.msn, prev.index]).toEqual([p.msn, p.index]); // a part never moves
    observed.parts.set(id, p);
  }
  for (const s of pl.segments) {
    if (s.discontinuity) observed.discontinuities.add(s.mediaSequenceNumber);
    if (s.map?.uri) observed.maps.set(s.mediaSequenceNumber, s.map.uri);
  }
  return pl;
}

/** Reads the rung like an LL-HLS client for `ms`: blocking reload for the next part, and the hinted part. */
async function follow(ms: number): Promise<void> {
  const packager = rig.stream.rendition("hi");
  if (!packager) throw new Error("no rung");
  let pl = record(await (await fetch(`${rig.url}/hi/index.m3u8`)).text());
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const listed = partUris(pl);
    const last = listed.at(-1);
    if (!last) throw new Error("no parts listed");
    const wanted = partId(last.uri) + 1;
    const hint = pl.segments.at(-1)?.parts.find((p) => p.hint);
    const sentAt = performance.now();
    const hintedReq = hint ? fetch(`${rig.url}/hi/${hint.uri}`) : null;
    const res = await fetch(`${rig.url}/hi/index.m3u8?_HLS_msn=${last.msn}&_HLS_part=${last.index + 1}`);
    const gotAt = performance.now();
    expect(res.status).toBe(200);
    pl = record(await res.text());
    expect(observed.parts.has(wanted)).toBe(true);
    observed.blocking.push({ sentAt, gotAt, id: wanted, appearedAt: appeared.get(wanted) ?? Number.NaN });
    if (hint && hintedReq) {
      const hr = await hintedReq;
      const body = new Uint8Array(await hr.arrayBuffer());
      const id = partId(hint.uri);
      const held = packager.part(id)?.bytes;
      observed.hinted.push({
        id,
        sentAt,
        gotAt: performance.now(),
        appearedAt: appeared.get(id) ?? Number.NaN,
        bytesMatch: hr.status === 200 && held !== undefined && Buffer.from(body).equals(held),
      });
    }
  }
}

beforeAll(async () => {
  rig = startLlhlsRig();
  rig.stream.rendition("hi")?.subscribe(() => {
    const id = (rig.stream.rendition("hi")?.nextPartId ?? 0) - 1;
    if (id >= 0 && !appeared.has(id)) appeared.set(id, performance.now());
  });
  rig.startInput();
  await until(
    "two complete segments",
    30_000,
    () => (rig.stream.rendition("hi")?.lastCompleteMsn() ?? -1) >= 1,
  );
  await follow(5000);
  // A crash of ffmpeg, and a new one for the same rungs.
  await rig.killInput();
  rig.startInput();
  await follow(5000);
}, 90_000);

afterAll(async () => {
  await rig?.stop();
});

describe("LL-HLS packager with a live ffmpeg", () => {
  test("every playlist parsed strictly; parts never exceed PART-TARGET and add up to their segment", () => {
    // checkLlhlsPlaylist threw on any broken rule while following; here: enough was seen.
    expect(observed.playlists.length).toBeGreaterThan(20);
    const pt = observed.playlists[0]?.partTargetDuration ?? 0;
    expect(pt).toBeCloseTo(0.2, 5);
    for (const p of observed.parts.values()) expect(p.duration).toBeLessThanOrEqual(pt);
  });

  test("blocking reload returns the requested part, and never before it exists", () => {
    expect(observed.blocking.length).toBeGreaterThan(20);
    let waited = 0;
    for (const b of observed.blocking) {
      expect(b.appearedAt).toBeLessThanOrEqual(b.gotAt);
      if (b.appearedAt > b.sentAt) waited += 1;
    }
    // The client always asks for a part that does not exist yet, so nearly every request had to wait.
    expect(waited).toBeGreaterThan(observed.blocking.length * 0.8);
  });

  test("the hinted part is held until complete, then served byte-exact", () => {
    expect(observed.hinted.length).toBeGreaterThan(20);
    for (const h of observed.hinted) {
      expect(h.bytesMatch).toBe(true);
      expect(h.appearedAt).toBeLessThanOrEqual(h.gotAt);
    }
    expect(observed.hinted.filter((h) => h.appearedAt > h.sentAt).length).toBeGreaterThan(
      observed.hinted.length * 0.8,
    );
  });

  test("media sequence and part ids are continuous across the ffmpeg restart, with one discontinuity", () => {
    const ids = [...observed.parts.keys()].sort((a, b) => a - b);
    const first = ids[0] ?? 0;
    expect(ids).toEqual(ids.map((_, i) => first + i));
    // Within a segment, parts are numbered 0.. in id order; segments follow each other.
    let prev: { msn: number; index: number } | null = null;
    for (const id of ids) {
      const p = observed.parts.get(id);
      if (!p) throw new Error("gap");
      if (prev) {
        const next =
          p.msn === prev.msn ? p.index === prev.index + 1 : p.msn === prev.msn + 1 && p.index === 0;
        expect(next).toBe(true);
      }
      prev = p;
    }
    expect(observed.discontinuities.size).toBe(1);
    const [cut] = [...observed.discontinuities];
    expect(observed.maps.get((cut ?? 0) - 1)).toBe("init-e2e-0.mp4");
    expect(observed.maps.get(cut ?? 0)).toBe("init-e2e-1.mp4");
  });

  test("the first part of every segment is independent, and only that one (keyframe every segment)", () => {
    for (const p of observed.parts.values()) expect(p.independent).toBe(p.index === 0);
  });

  test("a segment is init + fragments that ffprobe decodes: 30 frames for 1 s at 30 fps", async () => {
    const pl = observed.playlists.at(-1);
    const seg = pl?.segments.find((s) => s.uri && s.map?.uri === "init-e2e-1.mp4" && !s.discontinuity);
    if (!seg?.map) throw new Error("no complete segment after the restart");
    const init = new Uint8Array(await (await fetch(`${rig.url}/hi/${seg.map.uri}`)).arrayBuffer());
    const res = await fetch(`${rig.url}/hi/${seg.uri}`);
    expect(res.headers.get("cache-control")).toContain("immutable");
    const body = new Uint8Array(await res.arrayBuffer());
    const dir = mkdtempSync(join(tmpdir(), "llhls-e2e-"));
    try {
      const file = join(dir, "seg.mp4");
      writeFileSync(file, Buffer.concat([init, body]));
      const probe = Bun.spawnSync([
        "ffprobe",
        "-v",
        "error",
        "-count_frames",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=nb_read_frames,codec_name",
        "-of",
        "csv=p=0",
        file,
      ]);
      expect(probe.stdout.toString().trim()).toBe("h264,30");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the other rung is packaged too and reported in EXT-X-RENDITION-REPORT", async () => {
    const pl = checkLlhlsPlaylist(await (await fetch(`${rig.url}/hi/index.m3u8`)).text());
    const report = pl.renditionReports[0];
    expect(report?.uri).toBe("../lo/index.m3u8");
    const lo = checkLlhlsPlaylist(await (await fetch(`${rig.url}/lo/index.m3u8`)).text());
    expect(
      Math.abs((report?.lastMSN ?? -9) - (lo.segments.at(-1)?.mediaSequenceNumber ?? 0)),
    ).toBeLessThanOrEqual(1);
    const variants = masterVariants(await (await fetch(`${rig.url}/master.m3u8`)).text());
    expect(variants.length).toBeGreaterThan(0);
    for (const v of variants) expect(v.codecs).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
  });

  test("requests far ahead are refused at once; a part without msn is 400", async () => {
    const pl = checkLlhlsPlaylist(await (await fetch(`${rig.url}/hi/index.m3u8`)).text());
    const last = pl.segments.at(-1)?.mediaSequenceNumber ?? 0;
    expect((await fetch(`${rig.url}/hi/index.m3u8?_HLS_msn=${last + 3}`)).status).toBe(400);
    expect((await fetch(`${rig.url}/hi/index.m3u8?_HLS_part=0`)).status).toBe(400);
  });
});
