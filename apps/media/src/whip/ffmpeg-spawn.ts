/**
 * The one place the WHIP module starts a process. main.ts passes `spawnFfmpeg` in the deps; tests
 * and benchmarks may pass a spawner for a different binary path.
 */

/** A started child process, reduced to what the relay needs. */
export interface ChildHandle {
  pid: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts ffmpeg with `args`; every stderr line goes to `onStderr`. */
export type SpawnFfmpeg = (args: string[], onStderr: (line: string) => void) => ChildHandle;

/** Builds a SpawnFfmpeg around Bun.spawn for the given binary (default: `ffmpeg` on PATH). */
export function bunSpawnFfmpeg(binary = "ffmpeg"): SpawnFfmpeg {
  return function spawnFfmpeg(args, onStderr) {
    const child = Bun.spawn([binary, ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    void (async () => {
      const decoder = new TextDecoder();
      let pending = "";
      const reader = child.stderr.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        const lines = pending.split(/\r?\n|\r/);
        pending = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) onStderr(line);
      }
      if (pending.trim()) onStderr(pending);
    })().catch(() => undefined);
    return {
      pid: child.pid,
      exited: child.exited.then(() => child.exitCode),
      kill: (signal) => child.kill(signal),
    };
  };
}
