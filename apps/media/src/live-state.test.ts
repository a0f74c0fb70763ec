import { describe, expect, test } from "bun:test";
import type { StreamStateUpdate } from "@hearth/contracts";
import { manualTimers } from "../testing/manual-timers.ts";
import { LiveState } from "./live-state.ts";

const RUNGS = [
  { name: "source", bandwidth: 3_000_000, width: 1280, height: 720, playlist: "source/index.m3u8" },
];

function machine(graceMs = 10_000) {
  const clock = manualTimers();
  const reports: StreamStateUpdate[] = [];
  let expired = 0;
  const state = new LiveState({
    publicId: "abc123",
    node: "node-a",
    graceMs,
    timers: clock.timers,
    onTransition: (u) => reports.push(u),
    onGraceExpired: () => {
      expired += 1;
    },
  });
  return { state, clock, reports, expired: () => expired };
}

const phases = (r: StreamStateUpdate[]) => r.map((u) => `${u.phase}#${u.origin.seq}`);

describe("LiveState", () => {
  test("starting is not reported; live only once playable", () => {
    const { state, reports } = machine();
    expect(state.phase).toBe("starting");
    expect(state.hasPublisher()).toBe(true);
    expect(reports).toEqual([]);
    state.playable(RUNGS);
    expect(phases(reports)).toEqual(["live#1"]);
    expect(reports[0]?.rungs).toEqual(RUNGS);
    expect(reports[0]?.origin.node).toBe("node-a");
  });

  test("a drop within the grace: reconnecting, then live again in the same session with a higher seq", () => {
    const { state, clock, reports, expired } = machine();
    state.playable(RUNGS);
    state.publisherGone("dropped");
    expect(state.phase).toBe("reconnecting");
    expect(state.hasPublisher()).toBe(false);
    expect(state.awaitsPublisher()).toBe(true);
    clock.advance(9_000);
    expect(state.publisherBack()).toBe(true);
    // Back, but not yet playable: still reconnecting, and a second publisher is refused.
    expect(state.phase).toBe("reconnecting");
    expect(state.hasPublisher()).toBe(true);
    expect(state.publisherBack()).toBe(false);
    // The grace no longer runs once the publisher is back.
    clock.advance(5_000);
    expect(state.phase).toBe("reconnecting");
    state.playable(RUNGS);
    expect(phases(reports)).toEqual(["live#1", "reconnecting#2", "live#3"]);
    const sessions = new Set(reports.map((r) => r.origin.session));
    expect(sessions.size).toBe(1);
    expect(new Set(reports.map((r) => r.origin.epoch)).size).toBe(1);
    expect(expired()).toBe(0);
  });

  test("the grace expires: ended, and the owner is told", () => {
    const { state, clock, reports, expired } = machine(3_000);
    state.playable(RUNGS);
    state.publisherGone("dropped");
    clock.advance(2_999);
    expect(state.phase).toBe("reconnecting");
    clock.advance(1);
    expect(state.phase).toBe("ended");
    expect(expired()).toBe(1);
    expect(phases(reports)).toEqual(["live#1", "reconnecting#2", "ended#3"]);
    expect(reports.at(-1)?.rungs).toEqual([]);
    // Nothing publishes into an ended session.
    expect(state.publisherBack()).toBe(false);
    expect(state.hasPublisher()).toBe(false);
  });

  test("a publisher back and dropped again before it was playable gets a fresh grace, reported once", () => {
    const { state, clock, reports, expired } = machine(3_000);
    state.playable(RUNGS);
    state.publisherGone("dropped");
    clock.advance(2_000);
    state.publisherBack();
    state.publisherGone("dropped");
    clock.advance(2_500);
    expect(state.phase).toBe("reconnecting");
    clock.advance(500);
    expect(state.phase).toBe("ended");
    expect(expired()).toBe(1);
    expect(phases(reports)).toEqual(["live#1", "reconnecting#2", "ended#3"]);
  });

  test("a clean stop ends at once, live or reconnecting; later calls change nothing", () => {
    const a = machine();
    a.state.playable(RUNGS);
    a.state.publisherGone("clean");
    expect(phases(a.reports)).toEqual(["live#1", "ended#2"]);
    a.state.publisherGone("dropped");
    a.state.end();
    a.state.playable(RUNGS);
    expect(phases(a.reports)).toEqual(["live#1", "ended#2"]);

    const b = machine();
    b.state.playable(RUNGS);
    b.state.publisherGone("dropped");
    b.state.end(); // the manager's stop while reconnecting
    b.clock.advance(20_000);
    expect(phases(b.reports)).toEqual(["live#1", "reconnecting#2", "ended#3"]);
    expect(b.expired()).toBe(0);
  });

  test("a drop before the stream was ever playable ends it (nothing to keep open)", () => {
    const { state, reports } = machine();
    state.publisherGone("dropped");
    expect(phases(reports)).toEqual(["ended#1"]);
  });

  test("quality changes while live are new reports of the same phase; snapshots match the newest report", () => {
    const { state, reports } = machine();
    state.playable(RUNGS);
    const quality = {
      level: "reduced" as const,
      preset: "ultrafast",
      rungs: ["source"],
      reason: "cpu",
      realtime: true,
    };
    state.update(RUNGS, quality);
    expect(phases(reports)).toEqual(["live#1", "live#2"]);
    expect(state.snapshot()).toEqual(reports[1] as StreamStateUpdate);
  });
});
