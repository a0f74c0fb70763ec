import type { Logger } from "@hearth/server-kit";

/**
 * A sweep run on demand and every `intervalMs` once started, never two at once: a call during a run gets that
 * run's result (an interval tick and a test's sweep() must not both delete the same rows).
 */
export function periodicSweep<T>(sweepOnce: () => Promise<T>, logger: Logger, what: string) {
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<T> | undefined;

  const sweep = (): Promise<T> => {
    running ??= sweepOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    sweep,
    start(intervalMs: number): void {
      timer = setInterval(() => {
        sweep().catch((err) => logger.warn(`${what} failed`, { err: (err as Error).message }));
      }, intervalMs);
    },
    stop(): void {
      if (timer) clearInterval(timer);
    },
  };
}
