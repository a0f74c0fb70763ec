import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testApp } from "../testing/test-app.ts";
import { feedFragments, SYNTHETIC_INIT } from "../testing/test-feed.ts";
import { LlhlsRegistry, LlhlsStream } from "./llhls/llhls-stream.ts";
import { EndedStreamRetention, removeLeftovers } from "./retention.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-retention-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A node's HLS surface with one ended stream: its packager in memory, its preview on disk. */
function endedStream(publicId: string) {
  const hlsDir = mkdtempSync(join(root, "hls-"));
  mkdirSync(join(hlsDir, publicId));
  writeFileSync(join(hlsDir, publicId, "thumb.jpg"), new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
  const llhls = new LlhlsRegistry();
  const stream = llhls.add(
    new LlhlsStream(publicId, "tag1", [{ name: "360p", width: 640, height: 360, bandwidth: 1 }], {
      targetDuration: 1,
      partTarget: 0.2,
      windowSegments: 12,
      partSegments: 2,
    }),
  );
  const p = stream.rendition("360p");
  if (!p) throw new Error("no rendition");
  p.beginInput(SYNTHETIC_INIT);
  feedFragments(p, 12);
  stream.end();
  const app = testApp({ llhls, hlsDir });
  const get = (path: string) => app.request(`http://localhost/hls/${publicId}/${path}`);
  const status = async (path: string) => (await get(path)).status;
  return { hlsDir, llhls, get, status };
}

const OUTPUT = ["master.m3u8", "360p/index.m3u8", "360p/seg-tag1-0.m4s", "360p/init-tag1-0.mp4", "thumb.jpg"];

describe("EndedStreamRetention", () => {
  test("an ended stream stays served (ENDLIST), then its packagers and thumb.jpg go together", async () => {
    const id = "endedStream01";
    const s = endedStream(id);
    for (const path of OUTPUT) expect(await s.status(path), path).toBe(200);
    expect((await (await s.get("360p/index.m3u8")).text()).trimEnd().endsWith("#EXT-X-ENDLIST")).toBe(true);
    const retention = new EndedStreamRetention({ seconds: 0, hlsDir: s.hlsDir, llhls: s.llhls });
    expect(await retention.schedule(id)).toBe(true);
    expect(s.llhls.get(id)).toBeUndefined();
    for (const path of OUTPUT) expect(await s.status(path), path).toBe(404);
    expect(existsSync(join(s.hlsDir, id))).toBe(false);
  });

  test("a stream that goes live again before the period ends keeps its output", async () => {
    const id = "backAgain0001";
    const s = endedStream(id);
    const retention = new EndedStreamRetention({ seconds: 60, hlsDir: s.hlsDir, llhls: s.llhls });
    const removal = retention.schedule(id);
    retention.cancel(id);
    expect(await removal).toBe(false);
    for (const path of OUTPUT) expect(await s.status(path), path).toBe(200);
    // Shutdown settles whatever is still pending without removing it.
    const other = retention.schedule(id);
    retention.clear();
    expect(await other).toBe(false);
    expect(s.llhls.get(id)).toBeDefined();
  });
});

test("removeLeftovers: a previous run's stream directories go, anything else stays", async () => {
  const hlsDir = mkdtempSync(join(root, "leftovers-"));
  const put = (rel: string) => {
    mkdirSync(join(hlsDir, rel, ".."), { recursive: true });
    writeFileSync(join(hlsDir, rel), "x");
  };
  put("previewOnly01/thumb.jpg");
  put("halfWritten01/thumb.tmp.jpg");
  mkdirSync(join(hlsDir, "neverGotOne01"));
  // An earlier version wrote playlists and MPEG-TS rung directories here.
  put("olderNode0001/master.m3u8");
  put("olderNode0001/source/seg_a_1.ts");
  // Not ours: a name that is no public id, or a directory holding someone else's files.
  put("notes.txt");
  put("x/thumb.jpg");
  put("someonesDir01/thesis.pdf");
  put("someonesDir01/thumb.jpg");
  const removed = await removeLeftovers(hlsDir);
  expect(removed.sort()).toEqual(["halfWritten01", "neverGotOne01", "olderNode0001", "previewOnly01"]);
  expect(readdirSync(hlsDir).sort()).toEqual(["notes.txt", "someonesDir01", "x"]);
});
