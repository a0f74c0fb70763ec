/**
 * Looking at processes from the outside through /proc, the way `ps` does.
 *
 * "Is it still running?" has three traps on Linux, each of which made a shutdown test fail once:
 * - a zombie (state Z) has exited and only waits for its parent to collect its status: it runs nothing;
 * - a process that is exiting may have released its memory already, so its command line reads empty, while its
 *   state is not yet Z (R or D while the kernel tears it down): the kernel flags it PF_EXITING from the start;
 * - a pid is reused once the old process is gone (pid_max is 32768 here), so a pid noted before a SIGTERM can
 *   name a new, unrelated process afterwards. A process is therefore named by its pid and its start time.
 */
import { readdirSync, readFileSync } from "node:fs";
import { until } from "./until.ts";

/** One process as /proc/<pid>/stat shows it. */
export interface ProcStat {
  pid: number;
  /** R running, S sleeping, D uninterruptible, Z zombie, X dead, T stopped, ... */
  state: string;
  ppid: number;
  /** The kernel's PF_* flags word (field 9). */
  flags: number;
  /** Clock ticks after boot when it started: with the pid, the process's identity. */
  startTime: number;
  /** CPU time so far in user space and in the kernel (utime, stime), in clock ticks (1/100 s here). */
  userTicks: number;
  sysTicks: number;
}

/** A process noted at one moment, so that a later check cannot mistake a new process on the same pid for it. */
export interface ProcessRef {
  pid: number;
  startTime: number;
}

/** The stat line of `pid`, or undefined when there is no such process. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields after the last ")" are fixed.
  // They start at field 3 (state); field 4 is the parent, field 9 the flags, 14 and 15 the CPU times, field 22
  // the start time.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    pid,
    state: fields[0] ?? "?",
    ppid: Number(fields[1]),
    flags: Number(fields[6]),
    startTime: Number(fields[19]),
    userTicks: Number(fields[11]),
    sysTicks: Number(fields[12]),
  };
}

/** The CPU ticks `pid` used so far (user + kernel), or undefined when there is no such process. */
export function cpuTicks(pid: number): number | undefined {
  const s = procStat(pid);
  return s && s.userTicks + s.sysTicks;
}

/** Every process on the machine, by pid (a process that ends while we read is left out). */
function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (s) out.push(s);
  }
  return out;
}

/** Every descendant of `pid` (children, grandchildren, ...) that is still running, read from /proc. */
export function descendants(pid: number): number[] {
  return descendantRefs(pid).map((r) => r.pid);
}

/** Like `descendants`, with each process's start time, to check on them later with `alive`. */
export function descendantRefs(pid: number): ProcessRef[] {
  const all = allProcesses();
  const out: ProcessRef[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const p = frontier.pop() as number;
    for (const s of all) {
      if (s.ppid !== p) continue;
      frontier.push(s.pid);
      if (running(s)) out.push({ pid: s.pid, startTime: s.startTime });
    }
  }
  return out;
}

/** Notes a process's identity now (undefined when it is already gone). */
export function processRef(pid: number): ProcessRef | undefined {
  const s = procStat(pid);
  return s && running(s) ? { pid, startTime: s.startTime } : undefined;
}

/** include/linux/sched.h: set when do_exit() begins, before the memory (and so the command line) goes. */
const PF_EXITING = 0x4;

function running(s: ProcStat): boolean {
  if (s.state === "Z" || s.state === "X" || s.state === "x") return false;
  // Not by an empty command line: a process just forked, before its exec, reads empty as well.
  return (s.flags & PF_EXITING) === 0;
}

/**
 * Whether a process still runs: not gone, not a zombie, not exiting, and (given a ref) still the same
 * process rather than a new one that got its pid.
 */
export function alive(p: number | ProcessRef): boolean {
  const ref = typeof p === "number" ? { pid: p, startTime: undefined } : p;
  const s = procStat(ref.pid);
  if (!s) return false;
  if (ref.startTime !== undefined && s.startTime !== ref.startTime) return false;
  return running(s);
}

/**
 * Waits (up to `timeoutMs`) until none of `procs` runs any more, and returns those still running then, with
 * their command lines, for a readable assertion (`expect(await survivors(...)).toEqual([])`). A process that
 * got a signal needs a moment to exit, more on a loaded machine: checking once right away races that.
 */
export async function survivors(procs: Array<number | ProcessRef>, timeoutMs = 10_000): Promise<string[]> {
  const left = () => procs.filter(alive);
  await until("processes to exit", timeoutMs, () => left().length === 0).catch(() => {});
  return left().map((p) => {
    const pid = typeof p === "number" ? p : p.pid;
    return `${pid} ${procStat(pid)?.state ?? "?"} ${cmdline(pid)}`;
  });
}

/** The command line of a process, for messages ("" while it is exiting, "?" once it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "?";
  }
}
