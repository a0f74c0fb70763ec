import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StreamStateUpdate } from "@hearth/contracts";
import { fakeFeed } from "../testing/fake-feed.ts";
import { testRegistry } from "../testing/test-registry.ts";
import { LlhlsRegistry } from "./llhls/llhls-stream.ts";
import type { RenditionPackager } from "./llhls/rendition-packager.ts";

const dir = mkdtempSync(join(tmpdir(), "hearth-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(graceSeconds = 10) {
  const reports: StreamStateUpdate[] = [];
  const llhls = new LlhlsRegistry();
  const { registry, transcoders, clock } = testRegistry({
    hlsDir: dir,
    llhls,
    reporter: {
      report: async (_id, u) => {
        reports.push(u);
      },
    },
    reconnectGraceSeconds: graceSeconds,
  });
  const phases = () => reports.map((r) => `${r.phase}#${r.origin.seq}`);
  return { clock, reports, phases, transcoders, llhls, registry };
}

/** Lets queued reports and async stops run. */
const settle = () => Bun.sleep(5);

describe("StreamRegistry: one state machine per stream, continuous packagers across publishers", () => {
  test("live once playable; a drop keeps the playlists open; the same key rejoins the same session", async () => {
    const { registry, transcoders, llhls, phases, reports, clock } = setup();
    const first = fakeFeed();
    expect(await registry.publishStarted("abc123", first)).toBe(true);
    expect(registry.isLive("abc123")).toBe(true);
    // Starting: not reported, not in heartbeats.
    expect(registry.heartbeatStreams()).toEqual([]);
    transcoders.produce(11);
    await settle();
    expect(phases()).toEqual(["live#1"]);
    expect(reports[0]?.rungs.map((r) => r.name)).toEqual(["source", "160p"]);
    expect(registry.heartbeatStreams()).toEqual([
      { publicId: "abc123", ...(reports[0] as StreamStateUpdate) },
    ]);
    const source = llhls.get("abc123")?.rendition("source") as RenditionPackager;
    const lastBefore = source.lastCompleteMsn();

    await registry.publishStopped("abc123", first, "dropped");
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2"]);
    expect(registry.isLive("abc123")).toBe(false);
    expect(registry.status("abc123")).toMatchObject({ live: true, phase: "reconnecting", input: null });
    expect(registry.heartbeatStreams()[0]?.phase).toBe("reconnecting");
    expect(source.ended).toBe(false);

    clock.advance(5_000);
    const second = fakeFeed(426, 240);
    expect(await registry.publishStarted("abc123", second)).toBe(true);
    // A third publisher while the second one feeds the stream is refused.
    expect(await registry.publishStarted("abc123", fakeFeed())).toBe(false);
    transcoders.produce(6);
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2", "live#3"]);
    expect(new Set(reports.map((r) => r.origin.session)).size).toBe(1);
    // The same packager goes on: numbers continue, the joint is a discontinuity with the second init.
    expect(llhls.get("abc123")?.rendition("source")).toBe(source);
    const joint = source.segments.find((s) => s.discontinuity);
    expect(joint?.msn).toBe(lastBefore + 2);
    expect(joint?.initSeq).toBe(1);

    await registry.publishStopped("abc123", second, "clean");
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2", "live#3", "ended#4"]);
    expect(source.ended).toBe(true);
    expect(registry.heartbeatStreams()).toEqual([]);
    expect(registry.status("abc123").live).toBe(false);
  });

  test("the grace expires: ended, playlists end; the next session numbers past the last", async () => {
    const { registry, transcoders, llhls, phases, clock } = setup(3);
    const f = fakeFeed();
    await registry.publishStarted("grace1", f);
    transcoders.produce(11);
    await settle();
    const old = llhls.get("grace1")?.rendition("source") as RenditionPackager;
    const lastOld = old.lastCompleteMsn();
    await registry.publishStopped("grace1", f, "dropped");
    clock.advance(2_999);
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2"]);
    clock.advance(1);
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2", "ended#3"]);
    expect(old.ended).toBe(true);
    // Much later the same stream starts again: a new session, a new packager, never numbered backwards.
    clock.advance(60_000);
    await registry.publishStarted("grace1", fakeFeed());
    transcoders.produce(6);
    await settle();
    const fresh = llhls.get("grace1")?.rendition("source") as RenditionPackager;
    expect(fresh).not.toBe(old);
    expect(fresh.segments[0]?.msn).toBeGreaterThan(lastOld);
    expect(phases().at(-1)).toBe("live#1");
  });

  test("the manager's stop while reconnecting ends it at once", async () => {
    const { registry, transcoders, phases } = setup();
    const f = fakeFeed();
    await registry.publishStarted("stop01", f);
    transcoders.produce(11);
    await settle();
    await registry.publishStopped("stop01", f, "dropped");
    await registry.remove("stop01");
    await settle();
    expect(phases()).toEqual(["live#1", "reconnecting#2", "ended#3"]);
    // The dropped publisher's late close changes nothing.
    await registry.publishStopped("stop01", f, "dropped");
    expect(phases()).toHaveLength(3);
  });
});
