import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { HeartbeatStream, StreamPhase, StreamQuality } from "@hearth/contracts";
import { StartedStream, StreamList, StreamLookup } from "@hearth/contracts";
import type { DatabaseHandle } from "@hearth/db";
import { freshDatabase, managerFor, manualClock } from "../testing/harness.ts";
import { nodeHeartbeat, requestsTo } from "../testing/requests.ts";
import { mayApply } from "./live-state.ts";

const TIMEOUT = 6000;
const rungs = [
  { name: "source", bandwidth: 3_000_000, width: 1280, height: 720, playlist: "source/index.m3u8" },
  { name: "360p", bandwidth: 700_000, width: 640, height: 360, playlist: "360p/index.m3u8" },
];

describe.each(["postgres", "pglite"] as const)("live state on %s", (kind) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshDatabase(kind);
  });
  afterAll(() => handle.close());

  /** A fresh manager with its own clock; streams are created through the API as a client would. */
  function setup() {
    const clock = manualClock();
    const m = managerFor(handle, { now: clock.now, nodeTimeoutMs: TIMEOUT });
    const { req, internal } = requestsTo(m.app);
    const start = async () => {
      const res = await req("/start_stream?name=state", { method: "POST" });
      expect(res.status).toBe(201);
      return StartedStream.parse(await res.json());
    };
    const origin = (n: string, epoch: number, seq: number) => ({
      node: n,
      session: `${n}-${epoch}`,
      epoch,
      seq,
    });
    const report = (
      publicId: string,
      phase: StreamPhase,
      o: ReturnType<typeof origin>,
      quality: StreamQuality | null = null,
    ) => internal(`/streams/${publicId}/state`, { phase, origin: o, rungs, quality });
    const beat = (id: string, streams: HeartbeatStream[]) =>
      internal("/nodes/heartbeat", { ...nodeHeartbeat(id), streams });
    const entry = (publicId: string, phase: StreamPhase, o: ReturnType<typeof origin>): HeartbeatStream => ({
      publicId,
      phase,
      origin: o,
      rungs,
      quality: null,
    });
    const lookup = async (publicId: string) =>
      StreamLookup.parse(await (await req(`/stream/${publicId}`)).json());
    const listed = async (publicId: string) =>
      StreamList.parse(await (await req("/streams?limit=100")).json()).streams.find(
        (s) => s.publicId === publicId,
      );
    /** Assigns a stream to a registered node, as placement would have. */
    const assign = (publicId: string, nodeId: string) =>
      handle.db.execute(
        `update streams set media_node = '${nodeId}' where public_id = '${publicId}'` as never,
      );
    /** A new stream on node `nodeId`, which has just sent an empty heartbeat. */
    const startOn = async (nodeId: string) => {
      const s = await start();
      await beat(nodeId, []);
      await assign(s.publicId, nodeId);
      return s;
    };
    return { clock, m, req, internal, start, startOn, origin, report, beat, entry, lookup, listed, assign };
  }

  test("phases: starting is not live, live and reconnecting are, ended is offline with history kept", async () => {
    const t = setup();
    const s = await t.start();
    expect((await t.report(s.publicId, "starting", t.origin("default", 1000, 0))).status).toBe(204);
    expect((await t.lookup(s.publicId)).live).toBe(false);

    expect((await t.report(s.publicId, "live", t.origin("default", 1000, 1))).status).toBe(204);
    const live = await t.listed(s.publicId);
    expect(live).toMatchObject({ live: true, reconnecting: false });
    const startedAt = live?.startedAt;
    expect(startedAt).not.toBeNull();

    // The publisher dropped: still live, flagged, in both the directory and the lookup.
    t.clock.advance(1000);
    await t.report(s.publicId, "reconnecting", t.origin("default", 1000, 2));
    expect(await t.listed(s.publicId)).toMatchObject({ live: true, reconnecting: true, startedAt });
    expect(await t.lookup(s.publicId)).toMatchObject({ live: true, reconnecting: true });

    // Back within the grace: live again, same start time, flag cleared.
    await t.report(s.publicId, "live", t.origin("default", 1000, 3));
    expect(await t.listed(s.publicId)).toMatchObject({ live: true, reconnecting: false, startedAt });

    await t.report(s.publicId, "ended", t.origin("default", 1000, 4));
    const ended = await t.lookup(s.publicId);
    expect(ended).toMatchObject({ live: false, reconnecting: false });
    // Offline, not deleted: the rungs are history, the stream is still listed and its key still publishes.
    expect(ended.rungs.map((r) => r.name)).toEqual(["source", "360p"]);
    expect((await t.listed(s.publicId))?.live).toBe(false);
    const verify = await t.internal("/keys/verify", { key: s.privateId });
    expect(verify.status).toBe(200);
  });

  test("duplicate and out-of-order reports change nothing", async () => {
    const t = setup();
    const s = await t.start();
    await t.report(s.publicId, "live", t.origin("default", 2000, 1));
    expect((await t.report(s.publicId, "ended", t.origin("default", 2000, 2))).status).toBe(204);
    // The same "live" again (a retry that crossed the "ended"), and an older one: both ignored.
    expect((await t.report(s.publicId, "live", t.origin("default", 2000, 1))).status).toBe(204);
    expect((await t.report(s.publicId, "live", t.origin("default", 2000, 0))).status).toBe(204);
    expect((await t.lookup(s.publicId)).live).toBe(false);
    // An older session's late report: ignored too.
    expect((await t.report(s.publicId, "live", t.origin("default", 1999, 9))).status).toBe(204);
    expect((await t.lookup(s.publicId)).live).toBe(false);
    // A newer session is applied.
    await t.report(s.publicId, "live", t.origin("default", 3000, 0));
    expect((await t.lookup(s.publicId)).live).toBe(true);
    // A duplicate of the newest changes nothing either (the row stays exactly as it was).
    const before = await t.m.store.get(s.publicId);
    t.clock.advance(500);
    await t.report(s.publicId, "live", t.origin("default", 3000, 0));
    expect(await t.m.store.get(s.publicId)).toEqual(before);
    // Unknown streams are 404; malformed reports 400 in the house shape.
    expect((await t.report("AAAAAAAAAAAA", "live", t.origin("default", 1, 1))).status).toBe(404);
    const bad = await t.internal(`/streams/${s.publicId}/state`, { phase: "flying", origin: {} });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_input");
  });

  test("a heartbeat built before an offline report but delivered after it changes nothing", async () => {
    const t = setup();
    const s = await t.startOn("hb");
    const live = t.origin("hb", 5000, 1);
    await t.report(s.publicId, "live", live);
    const stale = t.entry(s.publicId, "live", live);
    await t.report(s.publicId, "ended", t.origin("hb", 5000, 2));
    expect((await t.beat("hb", [stale])).status).toBe(204);
    expect((await t.lookup(s.publicId)).live).toBe(false);
    // Nor does it after the timeout has passed.
    t.clock.advance(TIMEOUT * 2);
    await t.beat("hb", [stale]);
    expect((await t.lookup(s.publicId)).live).toBe(false);
  });

  test("heartbeats reconcile both ways: a missed live is restored, an unlisted live goes offline after the timeout", async () => {
    const t = setup();
    const s = await t.start();
    const quiet = await t.start();
    await t.beat("rc", []);
    await t.assign(s.publicId, "rc");
    await t.assign(quiet.publicId, "rc");
    // The "live" report was lost: the heartbeat carries it.
    await t.beat("rc", [t.entry(s.publicId, "live", t.origin("rc", 7000, 1))]);
    expect(await t.listed(s.publicId)).toMatchObject({ live: true });

    // quiet went live by report just after a heartbeat was built without it: not offline before the timeout.
    await t.report(quiet.publicId, "live", t.origin("rc", 7100, 1));
    t.clock.advance(1000);
    await t.beat("rc", [t.entry(s.publicId, "live", t.origin("rc", 7000, 1))]);
    expect((await t.lookup(quiet.publicId)).live).toBe(true);
    // The node keeps not listing it: after NODE_TIMEOUT_MS it is offline, the listed one stays live.
    t.clock.advance(TIMEOUT);
    await t.beat("rc", [t.entry(s.publicId, "live", t.origin("rc", 7000, 1))]);
    expect((await t.lookup(quiet.publicId)).live).toBe(false);
    expect((await t.lookup(s.publicId)).live).toBe(true);
    // The node lists it again with the report the manager had (it was the manager's own conclusion): restored.
    await t.beat("rc", [
      t.entry(s.publicId, "live", t.origin("rc", 7000, 1)),
      t.entry(quiet.publicId, "live", t.origin("rc", 7100, 1)),
    ]);
    expect((await t.lookup(quiet.publicId)).live).toBe(true);
    // A node cannot speak for a stream of another node.
    const other = await t.start();
    await t.beat("zz", []);
    await t.assign(other.publicId, "rc");
    await t.beat("zz", [t.entry(other.publicId, "live", t.origin("zz", 9000, 1))]);
    expect((await t.lookup(other.publicId)).live).toBe(false);
  });

  test("a silent node's streams go offline; its next heartbeat restores them", async () => {
    const t = setup();
    const s = await t.startOn("sl");
    const o = t.origin("sl", 8000, 1);
    await t.report(s.publicId, "live", o);
    t.clock.advance(TIMEOUT + 1);
    expect(await t.m.liveState.sweep()).toBeGreaterThanOrEqual(1);
    expect((await t.lookup(s.publicId)).live).toBe(false);
    await t.beat("sl", [t.entry(s.publicId, "live", o)]);
    expect((await t.lookup(s.publicId)).live).toBe(true);
  });

  test("after a move, late reports and heartbeats from the old node change nothing", async () => {
    const t = setup();
    const s = await t.start();
    await t.beat("old", []);
    await t.beat("new", []);
    await t.assign(s.publicId, "old");
    const onOld = t.origin("old", 10_000, 1);
    await t.report(s.publicId, "live", onOld);
    // The old node falls silent; the sweep shows the stream offline; the streamer publishes to the new node.
    t.clock.advance(TIMEOUT + 1);
    await t.beat("new", []);
    await t.m.liveState.sweep();
    const moved = await t.internal("/keys/verify", { key: s.privateId, node: "new" });
    expect(moved.status).toBe(200);
    // The new node's clock is behind the old one's: its session still counts, the order started over.
    await t.report(s.publicId, "live", t.origin("new", 9_000, 1));
    expect(await t.lookup(s.publicId)).toMatchObject({ live: true });
    expect((await t.lookup(s.publicId)).hlsUrl).toBe(`http://cdn.example/hls/new/${s.publicId}/master.m3u8`);
    // The old node comes back: its late "ended", and a heartbeat still listing the stream, are ignored.
    expect((await t.report(s.publicId, "ended", t.origin("old", 10_000, 2))).status).toBe(204);
    await t.beat("old", [t.entry(s.publicId, "reconnecting", t.origin("old", 10_000, 3))]);
    expect(await t.lookup(s.publicId)).toMatchObject({ live: true, reconnecting: false });
    // The old node does not list it either: no "unlisted" offline from a node the stream left.
    t.clock.advance(TIMEOUT + 1);
    await t.beat("new", [t.entry(s.publicId, "live", t.origin("new", 9_000, 1))]);
    await t.beat("old", []);
    expect((await t.lookup(s.publicId)).live).toBe(true);
  });

  test("quality: which ladder a stream got, and a stream that cannot keep up shows degraded", async () => {
    const t = setup();
    const s = await t.start();
    const q = (level: StreamQuality["level"], realtime: boolean): StreamQuality => ({
      level,
      preset: level === "source" ? null : "veryfast",
      rungs: level === "full" ? ["source", "480p", "360p", "160p"] : ["source"],
      reason: level === "full" ? null : "budget",
      realtime,
    });
    await t.report(s.publicId, "live", t.origin("default", 11_000, 1), q("full", true));
    expect(await t.listed(s.publicId)).toMatchObject({ live: true, quality: "full", realtime: true });
    await t.report(s.publicId, "live", t.origin("default", 11_000, 2), q("reduced", false));
    expect(await t.listed(s.publicId)).toMatchObject({ live: true, quality: "reduced", realtime: false });
    expect(await t.lookup(s.publicId)).toMatchObject({ live: true, quality: "reduced", realtime: false });
    await t.report(s.publicId, "ended", t.origin("default", 11_000, 3));
    expect(await t.lookup(s.publicId)).toMatchObject({ live: false, quality: null, realtime: true });
  });
});

describe("mayApply (the rule on a row already read)", () => {
  const u = (phase: StreamPhase, epoch: number, seq: number, session = "s") => ({
    phase,
    origin: { node: "n", session, epoch, seq },
    rungs: [],
    quality: null,
  });
  const row = { epoch: 10, seq: 2, session: "s", live: true };
  test("newer origins apply, older and equal ones do not", () => {
    expect(mayApply(row, u("ended", 10, 3))).toBe(true);
    expect(mayApply(row, u("live", 11, 0))).toBe(true);
    expect(mayApply(row, u("live", 10, 2))).toBe(false);
    expect(mayApply(row, u("live", 10, 1))).toBe(false);
    expect(mayApply(row, u("live", 9, 99))).toBe(false);
  });
  test("an equal origin applies only to make a row the manager took offline live again", () => {
    const offline = { ...row, live: false };
    expect(mayApply(offline, u("live", 10, 2))).toBe(true);
    expect(mayApply(offline, u("reconnecting", 10, 2))).toBe(true);
    expect(mayApply(offline, u("ended", 10, 2))).toBe(false);
    expect(mayApply(offline, u("live", 10, 2, "other"))).toBe(false);
  });
});
