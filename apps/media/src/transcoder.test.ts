import { expect, test } from "bun:test";
import { createLogger } from "@hearth/server-kit";
import { ManualClock } from "./clock.ts";
import type { Spawn, SpawnRequest, SupervisedProcess } from "./ffmpeg-supervisor.ts";
import { Transcoder } from "./transcoder.ts";

const logger = createLogger({}, { silent: true });

/** Lets pending promise callbacks (process exits, pipe reads) run. */
const settle = () => new Promise((r) => setImmediate(r));

interface FakeProc extends SupervisedProcess {
  exit(code: number): void;
  signals: string[];
}

async function* lines(text: string[]): AsyncGenerator<Uint8Array> {
  for (const t of text) yield new TextEncoder().encode(t);
}

/** A process that lives until killed or `exit()`ed; stdout yields `progress` chunks. */
function fakeProc(pid: number, progress: string[] = []): FakeProc {
  let exit!: (code: number) => void;
  const exited = new Promise<number | null>((r) => (exit = r));
  const signals: string[] = [];
  return {
    pid,
    stdin: null,
    stdout: lines(progress),
    stderr: lines([]),
    stdio: [],
    exited,
    signalCode: null,
    signals,
    kill(sig = "SIGTERM") {
      signals.push(sig);
      exit(sig === "SIGKILL" ? 137 : 143);
    },
    exit,
  };
}

/** A spawner that records each request and hands out fakes (`dies`: each exits at once with code 1). */
function fakeSpawner(o: { dies?: boolean; throws?: boolean } = {}) {
  const calls: SpawnRequest[] = [];
  const procs: FakeProc[] = [];
  const spawn: Spawn = (r) => {
    calls.push(r);
    if (o.throws) throw Object.assign(new Error("EMFILE: too many open files"), { code: "EMFILE" });
    const p = fakeProc(1000 + calls.length);
    procs.push(p);
    if (o.dies) p.exit(1);
    return p;
  };
  return { spawn, calls, procs };
}

test("a process that keeps dying is restarted with a doubling delay, and stop() ends the loop", async () => {
  const clock = new ManualClock();
  const { spawn, calls } = fakeSpawner({ dies: true });
  let crashes = 0;
  const t = new Transcoder({
    ffmpegPath: "ffmpeg",
    args: [],
    logger,
    clock,
    spawn,
    onCrash: () => crashes++,
  });
  t.start();
  await settle();
  expect(crashes).toBe(1);
  // The first restart waits 200 ms, the next 400 ms: nothing happens before each delay is over.
  clock.advance(199);
  await settle();
  expect(calls.length).toBe(1);
  clock.advance(1);
  await settle();
  expect(calls.length).toBe(2);
  clock.advance(399);
  await settle();
  expect(calls.length).toBe(2);
  clock.advance(1);
  await settle();
  expect(calls.length).toBe(3);
  await t.stop();
  clock.advance(10_000);
  await settle();
  expect(calls.length).toBe(3);
  expect(t.stats().restarts).toBe(3);
  expect(clock.pending()).toBe(0);
});

test("an ffmpeg that fails at every start is given up on after 8 tries", async () => {
  const clock = new ManualClock();
  const { spawn, calls } = fakeSpawner({ dies: true });
  let gaveUp = false;
  const t = new Transcoder({
    ffmpegPath: "ffmpeg",
    args: [],
    logger,
    clock,
    spawn,
    onGiveUp: () => (gaveUp = true),
  });
  t.start();
  for (let i = 0; i < 20 && !gaveUp; i++) {
    await settle();
    clock.advance(2000);
  }
  expect(gaveUp).toBe(true);
  expect(calls.length).toBe(8);
  expect(t.stats().restarts).toBe(7);
  expect(t.pid()).toBeNull();
});

test("a spawn that throws (EMFILE) is a failed start: logged, restarted later, never an unhandled error", async () => {
  const clock = new ManualClock();
  const { spawn, calls } = fakeSpawner({ throws: true });
  const t = new Transcoder({ ffmpegPath: "ffmpeg", args: [], logger, clock, spawn });
  t.start();
  expect(calls.length).toBe(1);
  clock.advance(200);
  expect(calls.length).toBe(2);
  await t.stop();
});

test("progress lines torn across reads still fill speed and dropped frames", async () => {
  const clock = new ManualClock();
  const spawn: Spawn = () =>
    fakeProc(7, [
      "frame=10\ndrop_fr",
      "ames=3\nout_time_us=12",
      "00000\nspe",
      "ed=1.0",
      "2x\nprogress=contin",
      "ue\n",
    ]);
  const seen: Array<[number | null, number | null]> = [];
  const t = new Transcoder({
    ffmpegPath: "ffmpeg",
    args: [],
    logger,
    clock,
    spawn,
    onProgress: (p) => seen.push([p.speed, p.outTimeUs]),
  });
  t.start();
  for (let i = 0; i < 10; i++) await settle();
  expect(t.stats()).toMatchObject({ speed: 1.02, droppedFrames: 3, restarts: 0, pid: 7 });
  expect(seen).toEqual([[1.02, 1_200_000]]);
  await t.stop();
});

test("a hung ffmpeg (no progress) is killed by the watchdog and restarted", async () => {
  const clock = new ManualClock();
  const { spawn, calls, procs } = fakeSpawner();
  const t = new Transcoder({ ffmpegPath: "ffmpeg", args: [], logger, clock, spawn, stallMs: 10_000 });
  t.start();
  clock.advance(12_000);
  await settle();
  expect(procs[0]?.signals).toContain("SIGKILL");
  clock.advance(200);
  expect(calls.length).toBe(2);
  await t.stop();
});

test("reload() swaps the arguments at once and is not counted as a crash", async () => {
  const clock = new ManualClock();
  const { spawn, calls, procs } = fakeSpawner();
  const t = new Transcoder({ ffmpegPath: "ffmpeg", args: ["-preset", "veryfast"], logger, clock, spawn });
  t.start();
  t.reload(["-preset", "ultrafast"]);
  expect(procs[0]?.signals).toEqual(["SIGTERM"]);
  await settle();
  expect(calls.map((c) => c.cmd.join(" "))).toEqual(["ffmpeg -preset veryfast", "ffmpeg -preset ultrafast"]);
  expect(t.stats().restarts).toBe(0);
  await t.stop();
});

test("stop() kills at the deadline counted from the stop, even with input queued behind a full pipe", async () => {
  const clock = new ManualClock();
  // A real process that never reads stdin: the pipe fills and the FLV backs up behind it.
  const t = new Transcoder({
    // Ignores SIGTERM (kept across exec) and never reads stdin: only the SIGKILL at the deadline ends it.
    ffmpegPath: "sh",
    args: ["-c", "trap '' TERM; exec sleep 30"],
    logger,
    clock,
    feed: (write) => {
      const tag = new Uint8Array(11 + 60_000 + 4);
      tag[0] = 9;
      tag[1] = (60_000 >> 16) & 0xff;
      tag[2] = (60_000 >> 8) & 0xff;
      tag[3] = 60_000 & 0xff;
      tag[11] = 0x17;
      tag[12] = 1;
      for (let i = 0; i < 200; i++) write(Buffer.from(tag));
      return () => {};
    },
    feedLimits: { maxBytes: 1 << 20, maxMs: 4000 },
  });
  t.start();
  const pid = t.pid() as number;
  expect(pid).toBeGreaterThan(0);
  expect(t.feedDrops().overflows).toBeGreaterThan(0);
  const stopped = t.stop(2000);
  await settle();
  clock.advance(500); // SIGTERM: ignored
  await Bun.sleep(50);
  expect(() => process.kill(pid, 0)).not.toThrow();
  clock.advance(1500); // the deadline, 2 s after the stop: SIGKILL
  await stopped;
  expect(() => process.kill(pid, 0)).toThrow();
  expect(t.pid()).toBeNull();
});
