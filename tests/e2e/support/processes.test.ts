import { expect, test } from "bun:test";
import { alive, descendantRefs, processRef, procStat, survivors } from "./processes.ts";
import { until } from "./until.ts";

test("a zombie is not alive, and is no descendant; a live child is both", async () => {
  // The shell backgrounds a short sleep, then execs into a long one that never reaps it: a zombie for 10 s.
  const parent = Bun.spawn(["bash", "-c", "sleep 0.2 & exec sleep 10"], { stdout: "ignore" });
  try {
    const child = await until("the short sleep", 10_000, () => descendantRefs(parent.pid)[0]);
    expect(alive(child)).toBe(true);
    await until("the short sleep to be a zombie", 10_000, () => procStat(child.pid)?.state === "Z");
    expect(alive(child.pid)).toBe(false);
    expect(alive(child)).toBe(false);
    expect(descendantRefs(parent.pid)).toEqual([]);
    expect(await survivors([child], 1_000)).toEqual([]);
    expect(alive(parent.pid)).toBe(true);
  } finally {
    parent.kill("SIGKILL");
    await parent.exited;
  }
});

test("a pid taken by a new process is not the one noted before (start times differ)", async () => {
  const proc = Bun.spawn(["sleep", "10"]);
  try {
    const ref = await until("the process", 5_000, () => processRef(proc.pid));
    expect(ref).toBeDefined();
    expect(alive(ref as NonNullable<typeof ref>)).toBe(true);
    expect(alive({ pid: proc.pid, startTime: (ref?.startTime ?? 0) - 1 })).toBe(false);
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
  expect(alive(proc.pid)).toBe(false);
  expect(processRef(proc.pid)).toBeUndefined();
});

test("survivors waits for a signalled process to exit, and lists one that does not", async () => {
  // Traps SIGTERM and takes a moment to exit: checking once right after the signal would call it a survivor.
  const slow = Bun.spawn(["bash", "-c", "trap 'sleep 0.5; exit 0' TERM; sleep 10 & wait"]);
  const stubborn = Bun.spawn(["bash", "-c", "trap '' TERM; sleep 10 & wait"]);
  try {
    await Bun.sleep(200); // the shells install their traps
    const refs = [processRef(slow.pid), processRef(stubborn.pid)].filter((r) => r !== undefined);
    expect(refs.length).toBe(2);
    slow.kill("SIGTERM");
    stubborn.kill("SIGTERM");
    const left = await survivors(refs, 5_000);
    expect(left.length).toBe(1);
    expect(left[0]).toStartWith(`${stubborn.pid} `);
  } finally {
    slow.kill("SIGKILL");
    stubborn.kill("SIGKILL");
    await Promise.all([slow.exited, stubborn.exited]);
  }
}, 20_000);
