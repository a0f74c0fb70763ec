/**
 * The process groups this test process leads through its direct children, by command name. Playwright
 * starts Chromium as the leader of a new process group (detached), so a browser this process launched
 * can be found here and killed outright with its renderers and network service: a publisher that
 * vanishes without a word (no DTLS close alert, no RTCP BYE, no WHIP DELETE), as a crash or a lost
 * link looks to the server.
 */
import { readdirSync, readFileSync } from "node:fs";

interface Stat {
  pid: number;
  comm: string;
  ppid: number;
  pgid: number;
  /** R, S, Z...: Z is exited, waiting for its parent to reap it. */
  state: string;
}

function stat(pid: string): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may hold spaces: the fields after it follow the last ')'.
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const rest = text.slice(close + 2).split(" ");
    return { pid: Number(pid), comm, state: rest[0] ?? "", ppid: Number(rest[1]), pgid: Number(rest[2]) };
  } catch {
    return undefined; // it exited while the directory was read
  }
}

/** Pids of this process's direct children named `comm` that lead their own process group. */
export function childGroupLeaders(comm: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(stat)
    .filter((s): s is Stat => s !== undefined)
    .filter((s) => s.ppid === process.pid && s.comm === comm && s.pgid === s.pid)
    .map((s) => s.pid);
}

/** SIGKILLs the process group `leader` leads (one this process started), then waits until the leader has exited. */
export async function killGroup(leader: number): Promise<void> {
  const own = stat(String(leader));
  if (!own || own.ppid !== process.pid || own.pgid !== leader)
    throw new Error(`${leader} is not a group this process leads`);
  process.kill(-leader, "SIGKILL");
  for (let i = 0; i < 200; i++) {
    const now = stat(String(leader));
    if (!now || now.state === "Z") return;
    await Bun.sleep(50);
  }
  throw new Error(`process ${leader} survived SIGKILL`);
}
