import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RecordingReport } from "@hearth/contracts";
import { fakeFeed } from "../../testing/fake-feed.ts";
import { testRegistry } from "../../testing/test-registry.ts";
import { LiveRecordings } from "./live-recordings.ts";
import { FsRecordingStorage } from "./storage.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-session-rec-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function setup(o: { rungs?: "all" | "source"; wanted?: boolean } = {}) {
  const dataDir = mkdtempSync(join(root, "data-"));
  const storage = new FsRecordingStorage(dataDir);
  const reports: RecordingReport[] = [];
  const live = new LiveRecordings();
  const { registry, transcoders } = testRegistry({
    hlsDir: join(dataDir, "hls"),
    recording: {
      storage,
      live,
      rungs: o.rungs ?? "all",
      onWriteError() {},
      reporter: {
        async report(r) {
          reports.push(r);
          return true;
        },
      },
    },
    recordingWanted: () => o.wanted ?? true,
  });
  return { dataDir, storage, reports, live, transcoders, registry };
}

describe("a session's recording", () => {
  test("a reconnect within the grace continues the same recording (a joint), ready at the end", async () => {
    const { registry, transcoders, storage, reports, live } = setup();
    const first = fakeFeed();
    await registry.publishStarted("abcDEF123_-x", first);
    transcoders.produce(20);
    await registry.publishStopped("abcDEF123_-x", first, "dropped");
    const second = fakeFeed();
    expect(await registry.publishStarted("abcDEF123_-x", second)).toBe(true);
    transcoders.produce(20);
    expect(live.size).toBe(1);
    await registry.publishStopped("abcDEF123_-x", second, "clean");
    // The ready report goes out after the files are final (a few microtasks later).
    for (let i = 0; i < 100 && reports.at(-1)?.state !== "ready"; i++) await Bun.sleep(5);
    const ids = await storage.list("recordings");
    expect(ids).toHaveLength(1);
    const id = ids[0] as string;
    expect(id).toMatch(/^[a-z0-9]{16}$/);
    const meta = await storage.readMeta("recordings", id);
    expect(meta?.state).toBe("ready");
    expect(meta?.rungs.map((r) => r.name)).toEqual(["source", "160p"]);
    const index = await storage.readIndex("recordings", id, "source");
    expect(new Set(index.map((e) => e.initSeq))).toEqual(new Set([0, 1]));
    expect(index.filter((e) => e.discontinuity)).toHaveLength(1);
    expect(new Set(reports.map((r) => r.videoId))).toEqual(new Set([id]));
    expect(reports.at(-1)?.state).toBe("ready");
    expect(live.size).toBe(0);
  });

  test("RECORDING_RUNGS=source records the source rung only", async () => {
    const { registry, transcoders, storage, dataDir } = setup({ rungs: "source" });
    const f = fakeFeed();
    await registry.publishStarted("abcDEF123_-y", f);
    transcoders.produce(10);
    await registry.publishStopped("abcDEF123_-y", f, "clean");
    const id = (await storage.list("recordings"))[0] as string;
    expect(readdirSync(join(dataDir, "recordings", id)).sort()).toEqual(["meta.json", "source"]);
  });

  test("the streamer's setting off (the key check said recording: false): nothing is recorded or reported", async () => {
    const { registry, transcoders, storage, reports } = setup({ wanted: false });
    const f = fakeFeed();
    await registry.publishStarted("abcDEF123_-z", f);
    transcoders.produce(10);
    await registry.publishStopped("abcDEF123_-z", f, "clean");
    expect(await storage.list("recordings")).toEqual([]);
    expect(reports).toEqual([]);
  });
});
