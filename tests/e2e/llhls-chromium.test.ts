/**
 * hls.js 1.7.4 in headless Chromium plays Hearth's LL-HLS packager output: in low-latency mode (it
 * loads the parts) and with low-latency mode off (the same playlists as plain live HLS).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type LlhlsRig, startLlhlsRig } from "./llhls-harness.ts";
import { view } from "./support/chromium-viewer.ts";
import { until } from "./support/until.ts";

let rig: LlhlsRig;

beforeAll(async () => {
  rig = startLlhlsRig();
  rig.startInput();
  await until(
    "three complete segments",
    30_000,
    () => (rig.stream.rendition("hi")?.lastCompleteMsn() ?? -1) >= 2,
  );
}, 45_000);

afterAll(async () => {
  await rig?.stop();
});

test("low-latency mode: plays, loads parts, reports a program date-time", async () => {
  const r = await view(`${rig.url}/master.m3u8`, { lowLatency: true, seconds: 6 });
  expect(r.firstFrameMs).not.toBeNull();
  expect(r.sawParts).toBe(true);
  expect(r.played).toBeGreaterThan(4);
  expect(r.latencies.length).toBeGreaterThan(3);
  expect(r.errors.filter((e) => e.endsWith(":fatal"))).toEqual([]);
}, 45_000);

test("without low-latency mode the same playlists play as standard live HLS", async () => {
  const r = await view(`${rig.url}/master.m3u8`, { lowLatency: false, seconds: 6 });
  expect(r.firstFrameMs).not.toBeNull();
  expect(r.played).toBeGreaterThan(4);
  expect(r.errors.filter((e) => e.endsWith(":fatal"))).toEqual([]);
}, 45_000);

test("low-latency playback survives an ffmpeg restart (discontinuity, numbering continues)", async () => {
  const viewing = view(`${rig.url}/master.m3u8`, { lowLatency: true, seconds: 10 });
  await Bun.sleep(4000);
  await rig.killInput();
  rig.startInput();
  const r = await viewing;
  expect(r.firstFrameMs).not.toBeNull();
  expect(r.errors.filter((e) => e.endsWith(":fatal"))).toEqual([]);
  // The restart costs ffmpeg's start-up (well under a second here); playback goes on past it.
  expect(r.played).toBeGreaterThan(6);
  expect(r.latencies.length).toBeGreaterThan(6);
}, 60_000);
