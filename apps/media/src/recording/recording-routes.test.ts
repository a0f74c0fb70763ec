import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClipCutResult } from "@hearth/contracts";
import HLS from "hls-parser";
import { indexEntry, recordingMeta } from "../../testing/stored-recording.ts";
import { TEST_INTERNAL_TOKEN, testApp } from "../../testing/test-app.ts";
import { LlhlsRegistry } from "../llhls/llhls-stream.ts";
import { LiveRecordings } from "./live-recordings.ts";
import { FsRecordingStorage } from "./storage.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-rec-routes-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const storage = new FsRecordingStorage(root);
const live = new LiveRecordings();
const T0 = Date.UTC(2026, 10, 29, 4);
const DONE = "finished00000001";
const GROWING = "growing000000001";

const app = testApp({ llhls: new LlhlsRegistry(), recordings: { storage, live }, hlsDir: root });
const req = (path: string, init?: RequestInit) => app.request(`http://localhost${path}`, init);
const internal = (method: string, path: string, body?: unknown) =>
  req(`/internal${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

beforeAll(async () => {
  for (const id of [DONE, GROWING]) {
    await storage.writeMeta(
      "recordings",
      id,
      recordingMeta(id, {
        state: id === DONE ? "ready" : "recording",
        createdAt: T0,
        rungs: [
          { name: "source", width: 1280, height: 720, frameRate: 30, codecs: ["avc1.64001f", "mp4a.40.2"] },
        ],
      }),
    );
    await storage.writeMedia("recordings", id, "source", { kind: "init", seq: 0 }, new Uint8Array([7, 7]));
    for (let i = 0; i < 12; i++) {
      await storage.writeMedia(
        "recordings",
        id,
        "source",
        { kind: "segment", msn: 50 + i },
        new Uint8Array(1000),
      );
      await storage.appendIndex("recordings", id, "source", indexEntry(50 + i, T0 + i * 1000));
    }
    await storage.writeThumbnail("recordings", id, new Uint8Array([0xff, 0xd8, 0xff]));
  }
  live.add(GROWING, { abandon: async () => {} });
});

describe("/hls/vod and /hls/clips", () => {
  test("a finished recording: VOD playlist with ENDLIST, cached a minute (a deletion must reach viewers); master with the live attributes", async () => {
    const res = await req(`/hls/vod/${DONE}/source/index.m3u8`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=60");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const p = HLS.parse(await res.text()) as HLS.types.MediaPlaylist;
    expect(p.playlistType).toBe("VOD");
    expect(p.endlist).toBe(true);
    expect(p.segments).toHaveLength(12);
    const master = await req(`/hls/vod/${DONE}/master.m3u8`);
    expect(master.headers.get("cache-control")).toBe("public, max-age=60");
    const m = HLS.parse(await master.text()) as HLS.types.MasterPlaylist;
    expect(m.variants[0]).toMatchObject({
      uri: "source/index.m3u8",
      bandwidth: 8000,
      codecs: "avc1.64001f,mp4a.40.2",
    });
  });

  test("a recording still being written: EVENT, short cache, no ENDLIST", async () => {
    const res = await req(`/hls/vod/${GROWING}/source/index.m3u8`);
    expect(res.headers.get("cache-control")).toBe("public, max-age=1");
    const p = HLS.parse(await res.text()) as HLS.types.MediaPlaylist;
    expect(p.playlistType).toBe("EVENT");
    expect(p.endlist).toBe(false);
  });

  test("segments, inits and thumb.jpg from storage; unknown or malformed ids are JSON 404s", async () => {
    const seg = await req(`/hls/vod/${DONE}/source/seg-55.m4s`);
    expect(seg.status).toBe(200);
    expect(seg.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await seg.arrayBuffer()).byteLength).toBe(1000);
    expect((await req(`/hls/vod/${DONE}/source/init-0.mp4`)).status).toBe(200);
    expect((await req(`/hls/vod/${DONE}/thumb.jpg`)).headers.get("content-type")).toBe("image/jpeg");
    for (const path of [
      `/hls/vod/unknownvideo0001/master.m3u8`,
      `/hls/vod/${DONE}/source/seg-999.m4s`,
      `/hls/vod/${DONE}/nosuch/index.m3u8`,
      `/hls/vod/${DONE}/source/meta.json`,
      `/hls/vod/BAD..ID/master.m3u8`,
      `/hls/clips/${DONE}/master.m3u8`,
    ]) {
      const res = await req(path);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });
});

describe("/internal clips and deletes", () => {
  test("the internal token is required", async () => {
    expect((await req("/internal/clips", { method: "POST", body: "{}" })).status).toBe(401);
    expect((await req(`/internal/recordings/${DONE}`, { method: "DELETE" })).status).toBe(401);
  });

  test("POST /internal/clips cuts a clip that plays from /hls/clips; 404 unknown, 422 empty, 400 bad", async () => {
    const res = await internal("POST", "/clips", {
      clipId: "clip000000000001",
      videoId: DONE,
      range: { kind: "wall", endAtMs: T0 + 12_000 },
      durationSeconds: 5,
    });
    expect(res.status).toBe(201);
    const cut = ClipCutResult.parse(await res.json());
    expect(cut).toMatchObject({ startedAt: T0 + 7000, durationSeconds: 5 });
    const p = HLS.parse(
      await (await req("/hls/clips/clip000000000001/source/index.m3u8")).text(),
    ) as HLS.types.MediaPlaylist;
    expect(p.endlist).toBe(true);
    expect(p.segments.map((s) => s.uri)).toEqual([
      "seg-57.m4s",
      "seg-58.m4s",
      "seg-59.m4s",
      "seg-60.m4s",
      "seg-61.m4s",
    ]);
    expect((await req("/hls/clips/clip000000000001/thumb.jpg")).status).toBe(200);
    const body = (videoId: string, start: number) => ({
      clipId: "clip000000000002",
      videoId,
      range: { kind: "offset", startSeconds: start },
      durationSeconds: 5,
    });
    expect((await internal("POST", "/clips", body("unknownvideo0001", 0))).status).toBe(404);
    const empty = await internal("POST", "/clips", body(DONE, 100));
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe("empty_range");
    expect((await internal("POST", "/clips", { clipId: "x" })).status).toBe(400);
  });

  test("DELETE removes the files (204, also when absent); a clip survives its recording", async () => {
    await internal("POST", "/clips", {
      clipId: "clip000000000003",
      videoId: GROWING,
      range: { kind: "offset", startSeconds: 0 },
      durationSeconds: 5,
    });
    let abandoned = false;
    live.add(GROWING, {
      abandon: async () => {
        abandoned = true;
      },
    });
    expect((await internal("DELETE", `/recordings/${GROWING}`)).status).toBe(204);
    expect(abandoned).toBe(true);
    expect(existsSync(join(root, "recordings", GROWING))).toBe(false);
    expect((await req(`/hls/vod/${GROWING}/master.m3u8`)).status).toBe(404);
    expect((await internal("DELETE", `/recordings/${GROWING}`)).status).toBe(204);
    expect((await req("/hls/clips/clip000000000003/source/seg-50.m4s")).status).toBe(200);
    expect((await internal("DELETE", "/clips/clip000000000003")).status).toBe(204);
    expect((await req("/hls/clips/clip000000000003/master.m3u8")).status).toBe(404);
    expect((await internal("DELETE", "/clips/clip000000000003")).status).toBe(204);
    expect((await internal("DELETE", "/clips/NOT-AN-ID")).status).toBe(400);
  });
});
