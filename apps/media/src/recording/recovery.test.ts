import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RecordingReport } from "@hearth/contracts";
import { createLogger } from "@hearth/server-kit";
import { indexEntry, recordingMeta } from "../../testing/stored-recording.ts";
import { finaliseUnfinished } from "./recovery.ts";
import { FsRecordingStorage, type IndexEntry } from "./storage.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-rec-recovery-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const storage = new FsRecordingStorage(root);
const T0 = Date.UTC(2026, 10, 29, 4);
const ID = "crashed000000001";

async function segment(id: string, rung: string, msn: number, write = true): Promise<IndexEntry> {
  const bytes = new Uint8Array([msn & 0xff, 1, 2, 3]);
  if (write) await storage.writeMedia("recordings", id, rung, { kind: "segment", msn }, bytes);
  const e = indexEntry(msn, T0 + msn * 1000, { bytes: 4 });
  await storage.appendIndex("recordings", id, rung, e);
  return e;
}

describe("finaliseUnfinished", () => {
  test("a recording left by a killed node becomes a VOD up to its last whole segment, reported ready", async () => {
    await storage.writeMeta(
      "recordings",
      ID,
      recordingMeta(ID, {
        session: "n1-s",
        createdAt: T0,
        rungs: [
          { name: "source", width: 160, height: 90, codecs: ["avc1.42c00c"] },
          { name: "160p", width: 160, height: 90, codecs: ["avc1.42c00c"] },
        ],
      }),
    );
    for (const r of ["source", "160p"])
      await storage.writeMedia("recordings", ID, r, { kind: "init", seq: 0 }, new Uint8Array([0]));
    for (let msn = 0; msn < 4; msn++) await segment(ID, "source", msn);
    // The kill came mid-append on the source rung...
    appendFileSync(join(root, "recordings", ID, "source", "index"), '{"msn":4,"init":0,"pdt":');
    // ...and on 160p the line of a segment whose file never landed (a lost write).
    await segment(ID, "160p", 0);
    await segment(ID, "160p", 1, false);
    await segment(ID, "160p", 2);
    // A finished recording is left alone.
    await storage.writeMeta(
      "recordings",
      "finished00000001",
      recordingMeta("finished00000001", { session: "old", state: "ready", createdAt: T0, endedAt: T0 }),
    );

    const reports: RecordingReport[] = [];
    let calls = 0;
    const out = await finaliseUnfinished({
      storage,
      logger: createLogger({}, { silent: true }),
      // The manager is not up at first: the report is retried.
      reporter: {
        async report(r, attempts = 1) {
          for (let i = 0; i < attempts; i++) {
            calls += 1;
            if (calls >= 3) {
              reports.push(r);
              return true;
            }
          }
          return false;
        },
      },
    });
    expect(out.map((r) => r.videoId)).toEqual([ID]);
    expect(await out[0]?.reported).toBe(true);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ videoId: ID, state: "ready", startedAt: T0, durationSeconds: 4 });
    expect(reports[0]?.endedAt).toBe(T0 + 4000);
    const meta = await storage.readMeta("recordings", ID);
    expect(meta?.state).toBe("ready");
    expect((await storage.readIndex("recordings", ID, "source")).map((e) => e.msn)).toEqual([0, 1, 2, 3]);
    expect((await storage.readIndex("recordings", ID, "160p")).map((e) => e.msn)).toEqual([0]);
    // A second start finds nothing left to do.
    expect(
      await finaliseUnfinished({
        storage,
        logger: createLogger({}, { silent: true }),
        reporter: { report: async () => true },
      }),
    ).toEqual([]);
  });
});
