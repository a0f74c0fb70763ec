import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { indexEntry, recordingMeta } from "../../testing/stored-recording.ts";
import { FsRecordingStorage, type IndexEntry, parseIndex, parseMediaName } from "./storage.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-rec-storage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const storage = new FsRecordingStorage(root);
const ID = "abcdefgh12345678";
const entry = (msn: number): IndexEntry => indexEntry(msn, 1_700_000_000_000 + msn * 1000, { bytes: 3 });

describe("FsRecordingStorage", () => {
  test("writes the documented layout and reads it back", async () => {
    await storage.writeMeta("recordings", ID, recordingMeta(ID, { session: "s1", createdAt: 1 }));
    await storage.writeMedia("recordings", ID, "source", { kind: "init", seq: 0 }, new Uint8Array([9]));
    await storage.writeMedia(
      "recordings",
      ID,
      "source",
      { kind: "segment", msn: 5 },
      new Uint8Array([1, 2, 3]),
    );
    await storage.appendIndex("recordings", ID, "source", entry(5));
    await storage.appendIndex("recordings", ID, "source", entry(6));
    await storage.writeThumbnail("recordings", ID, new Uint8Array([0xff, 0xd8]));
    for (const f of ["meta.json", "source/init-0.mp4", "source/seg-5.m4s", "source/index", "thumb.jpg"])
      expect(existsSync(join(root, "recordings", ID, f))).toBe(true);
    expect((await storage.readMeta("recordings", ID))?.state).toBe("recording");
    expect((await storage.readIndex("recordings", ID, "source")).map((e) => e.msn)).toEqual([5, 6]);
    const seg = await storage.openMedia("recordings", ID, "source", { kind: "segment", msn: 5 });
    expect(new Uint8Array((await seg?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    expect(await storage.openMedia("recordings", ID, "source", { kind: "segment", msn: 6 })).toBeNull();
    expect(await storage.list("recordings")).toEqual([ID]);
    expect(await storage.size("recordings", ID)).toBeGreaterThan(4);
  });

  test("a torn last index line (a crash mid-append) is left out; whole lines before it stay", async () => {
    appendFileSync(join(root, "recordings", ID, "source", "index"), '{"msn":7,"init":0,"pd');
    expect((await storage.readIndex("recordings", ID, "source")).map((e) => e.msn)).toEqual([5, 6]);
    expect(parseIndex('{"msn":1,"init":0,"pdt":5,"dur":1,"bytes":2}\nnot json\n{"msn":3}\n')).toHaveLength(1);
  });

  test("ids and rung names that are not ours never become paths", async () => {
    await expect(storage.readIndex("recordings", "../../etc", "source")).rejects.toThrow();
    await expect(storage.openMedia("recordings", ID, "..", { kind: "init", seq: 0 })).rejects.toThrow();
    expect(parseMediaName("seg-12.m4s")).toEqual({ kind: "segment", msn: 12 });
    expect(parseMediaName("init-3.mp4")).toEqual({ kind: "init", seq: 3 });
    expect(parseMediaName("seg-1.mp4")).toBeNull();
    expect(parseMediaName("../meta.json")).toBeNull();
  });

  test("remove deletes every file; removing what is absent is fine", async () => {
    await storage.remove("recordings", ID);
    expect(existsSync(join(root, "recordings", ID))).toBe(false);
    await storage.remove("recordings", ID);
    expect(await storage.readMeta("recordings", ID)).toBeNull();
  });
});
