import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RecordingReport } from "@hearth/contracts";
import { createLogger } from "@hearth/server-kit";
import { manualTimers } from "../../testing/manual-timers.ts";
import { feedFragments, SYNTHETIC_INIT } from "../../testing/test-feed.ts";
import { RenditionPackager, SessionClock } from "../llhls/rendition-packager.ts";
import { LiveRecordings } from "./live-recordings.ts";
import { Recorder } from "./recorder.ts";
import type { RecordingReporter } from "./recording-reporter.ts";
import { FsRecordingStorage, type MediaRef } from "./storage.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-recorder-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const logger = createLogger({}, { silent: true });

/** The manager's side of the report, kept in a list (its route is another app's). */
function collectingReporter(): RecordingReporter & { reports: RecordingReport[] } {
  const reports: RecordingReport[] = [];
  return {
    reports,
    async report(r) {
      reports.push(r);
      return true;
    },
  };
}

function setup(videoId: string, storage = new FsRecordingStorage(root), attachSource = true) {
  const clock = manualTimers();
  const live = new LiveRecordings();
  const reporter = collectingReporter();
  let errors = 0;
  const recorder = new Recorder({
    videoId,
    publicId: "abcDEF123_-x",
    node: "n1",
    session: "n1-sess",
    storage,
    reporter,
    live,
    timers: clock.timers,
    logger,
    onWriteError: () => {
      errors += 1;
    },
  });
  const p = new RenditionPackager({
    targetDuration: 1,
    partTarget: 0.2,
    windowSegments: 4,
    partSegments: 2,
    closeAtTarget: true,
    now: clock.timers.now,
  });
  if (attachSource) recorder.attach("source", p);
  return { clock, live, reporter, recorder, p, storage, errors: () => errors };
}

describe("Recorder", () => {
  test("writes every closed segment and its init, reports while growing, and ready at the end", async () => {
    const { clock, live, reporter, recorder, p, storage } = setup("rec0000000000001");
    recorder.start();
    expect(live.has("rec0000000000001")).toBe(true);
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 30); // 6 segments of 1 s, more than the 4-segment live window
    clock.advance(5000);
    // A reconnect: a new input, so a joint, in the same recording.
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 10, { t0: 100 });
    p.end();
    await recorder.finish();
    await recorder.reported;
    const index = await storage.readIndex("recordings", "rec0000000000001", "source");
    expect(index).toHaveLength(8);
    expect(index.map((e) => e.initSeq)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    expect(index.map((e) => e.discontinuity)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
    ]);
    for (const e of index) {
      const ref: MediaRef = { kind: "segment", msn: e.msn };
      expect((await storage.openMedia("recordings", "rec0000000000001", "source", ref))?.size).toBe(e.bytes);
    }
    expect(
      await storage.openMedia("recordings", "rec0000000000001", "source", { kind: "init", seq: 1 }),
    ).not.toBeNull();
    const meta = await storage.readMeta("recordings", "rec0000000000001");
    expect(meta?.state).toBe("ready");
    expect(meta?.rungs).toEqual([
      { name: "source", width: 160, height: 90, frameRate: 30, codecs: ["avc1.42c00c"] },
    ]);
    expect(live.has("rec0000000000001")).toBe(false);
    const states = reporter.reports.map((r) => r.state);
    expect(states[0]).toBe("recording");
    expect(states.filter((s) => s === "recording").length).toBeGreaterThanOrEqual(2);
    const last = reporter.reports.at(-1);
    expect(last?.state).toBe("ready");
    expect(last?.durationSeconds).toBeCloseTo(8, 5);
    expect(last?.bytes).toBeGreaterThan(0);
    expect(last?.endedAt).not.toBeNull();
  });

  test("a rung whose first segment closed a segment before the others': the recording starts where they all do", async () => {
    const { clock, reporter, recorder, p, storage } = setup("rec0000000000005", undefined, false);
    const sessionClock = new SessionClock();
    const source = new RenditionPackager({ ...p.o, clock: sessionClock });
    const low = new RenditionPackager({ ...p.o, clock: sessionClock });
    recorder.attach("source", source);
    recorder.attach("360p", low);
    recorder.start();
    source.beginInput(SYNTHETIC_INIT);
    low.beginInput(SYNTHETIC_INIT);
    feedFragments(source, 25); // media 0-5 s
    feedFragments(low, 20, { t0: 1 }); // media 1-5 s: its first segment is the source's second
    clock.advance(1000);
    source.end();
    low.end();
    await recorder.finish();
    await recorder.reported;
    const last = reporter.reports.at(-1);
    const sourceIndex = await storage.readIndex("recordings", "rec0000000000005", "source");
    const lowIndex = await storage.readIndex("recordings", "rec0000000000005", "360p");
    expect(sourceIndex).toHaveLength(5);
    expect(lowIndex).toHaveLength(4);
    // Dated from the low rung's first segment, and as long as the playlists show it (the source's first is trimmed).
    expect(last?.startedAt).toBe(lowIndex[0]?.pdt);
    expect(last?.startedAt).toBe((sourceIndex[0]?.pdt ?? 0) + 1000);
    expect(last?.durationSeconds).toBeCloseTo(4, 5);
  });

  test("a failed write stops this recording only: counted once, the packager goes on, what was written stays", async () => {
    let writes = 0;
    class FillsUp extends FsRecordingStorage {
      override async writeMedia(...a: Parameters<FsRecordingStorage["writeMedia"]>): Promise<void> {
        writes += 1;
        if (writes > 3) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
        return super.writeMedia(...a);
      }
    }
    const { recorder, p, storage, errors, reporter } = setup("rec0000000000002", new FillsUp(root));
    recorder.start();
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 30);
    p.end();
    await recorder.finish();
    await recorder.reported;
    expect(recorder.writeFailed).toBe(true);
    expect(errors()).toBe(1);
    // init + 2 segments made it; the live packager cut all six.
    expect(p.lastCompleteMsn() - (p.segments[0]?.msn ?? 0)).toBeGreaterThanOrEqual(3);
    expect(await storage.readIndex("recordings", "rec0000000000002", "source")).toHaveLength(2);
    expect(reporter.reports.at(-1)?.state).toBe("ready");
  });

  test("recordedUntil: a live clip ending now waits for its segment to land, or for the timeout", async () => {
    const { recorder, p, clock } = setup("rec0000000000004");
    recorder.start();
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 5); // one closed 1 s segment
    const first = p.segments[0];
    if (!first) throw new Error("no segment");
    let landed = false;
    const waiting = recorder.recordedUntil(first.programDateTime + 1500, 4000).then(() => {
      landed = true;
    });
    await Bun.sleep(5);
    expect(landed).toBe(false);
    feedFragments(p, 5, { t0: 1 }); // the segment that covers it closes and is written
    await waiting;
    expect(landed).toBe(true);
    // Media that never comes: the wait ends at the timeout (moved by the test's clock).
    let gaveUp = false;
    const never = recorder.recordedUntil(first.programDateTime + 60_000, 4000).then(() => {
      gaveUp = true;
    });
    clock.advance(4000);
    await never;
    expect(gaveUp).toBe(true);
    p.end();
    await recorder.finish();
  });

  test("abandon (the recording is deleted while live): nothing more is written", async () => {
    const { recorder, p, storage, live } = setup("rec0000000000003");
    recorder.start();
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 10);
    await recorder.abandon();
    await storage.remove("recordings", "rec0000000000003");
    feedFragments(p, 10, { t0: 2 });
    p.end();
    await recorder.finish();
    expect(live.has("rec0000000000003")).toBe(false);
    expect(await storage.readMeta("recordings", "rec0000000000003")).toBeNull();
    expect(await storage.list("recordings")).not.toContain("rec0000000000003");
  });
});
