import { expect, test } from "bun:test";
import { createLogger } from "@hearth/server-kit";
import { Transcoder } from "./transcoder.ts";

const logger = createLogger({}, { silent: true });

test("a process that keeps dying is restarted with a doubling delay, and stop() ends the loop", async () => {
  const crashes: number[] = [];
  const t0 = Date.now();
  // /bin/false stands in for an ffmpeg that exits at once.
  const t = new Transcoder({
    ffmpegPath: "false",
    args: [],
    logger,
    onCrash: () => crashes.push(Date.now() - t0),
  });
  t.start();
  await Bun.sleep(1700);
  await t.stop();
  const after = crashes.length;
  // Delays 200, 400, 800 ms: three or four crashes in 1.7 s, not dozens.
  expect(after).toBeGreaterThanOrEqual(3);
  expect(after).toBeLessThanOrEqual(4);
  const gaps = crashes.slice(1).map((c, i) => c - (crashes[i] as number));
  expect(gaps[1] ?? 0).toBeGreaterThan((gaps[0] ?? 0) * 1.5);
  await Bun.sleep(500);
  expect(crashes.length).toBe(after);
  expect(t.stats().restarts).toBe(after);
});

test("stop() terminates a running process and waits for it", async () => {
  const t = new Transcoder({ ffmpegPath: "sleep", args: ["30"], logger });
  t.start();
  const pid = t.pid() as number;
  expect(pid).toBeGreaterThan(0);
  const started = Date.now();
  await t.stop(2000);
  expect(Date.now() - started).toBeLessThan(2500);
  expect(() => process.kill(pid, 0)).toThrow();
  expect(t.pid()).toBeNull();
});

test("ffmpeg's progress lines fill speed and dropped frames", async () => {
  const t = new Transcoder({
    ffmpegPath: "sh",
    args: ["-c", "printf 'frame=10\\ndrop_frames=3\\nspeed=1.02x\\nprogress=continue\\n'; sleep 30"],
    logger,
  });
  t.start();
  for (let i = 0; i < 40 && t.stats().speed === null; i++) await Bun.sleep(25);
  expect(t.stats()).toMatchObject({ speed: 1.02, droppedFrames: 3, restarts: 0 });
  await t.stop(1000);
});

test("an ffmpeg that fails at every start is given up on after 8 tries", async () => {
  let gaveUp = false;
  const t = new Transcoder({ ffmpegPath: "false", args: [], logger, onGiveUp: () => (gaveUp = true) });
  t.start();
  // 200+400+800+1600+2000+2000+2000 ms of delays before the 8th crash.
  for (let i = 0; i < 120 && !gaveUp; i++) await Bun.sleep(100);
  expect(gaveUp).toBe(true);
  expect(t.stats().restarts).toBe(7);
  expect(t.pid()).toBeNull();
  await t.stop();
}, 15_000);
