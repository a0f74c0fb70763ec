import type { DatabaseHandle } from "@hearth/db";
import type { Logger } from "./logger.ts";

/**
 * The contract every app's `main.ts` exports as `start()`: the platform launcher calls it in-process
 * (embedded mode, one shared PGlite handle), or the app's own `main.ts` calls it when run alone.
 */
export interface AppStartOptions {
  /** The environment to parse (the app's env.ts validates it). */
  env: Record<string, string | undefined>;
  logger: Logger;
  /** A database handle shared by the launcher (embedded PGlite); apps open their own otherwise. */
  db?: DatabaseHandle;
}

/** A running app: what a person should open, and how to stop everything it started. */
export interface RunningApp {
  name: string;
  urls: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * What a process does with a promise rejection nobody handled (a bug: every expected failure is handled
 * where it happens). "keep-serving" logs it with context and goes on, for an app whose restart costs its
 * users more than the one failed operation (live streams, open chat sockets); "exit" stops the app cleanly
 * and exits 1 so its supervisor (compose's `restart: unless-stopped`, systemd) starts a fresh one.
 * An uncaught exception always exits: it unwound a stack half-way, and the state it left is unknown.
 */
export type RejectionPolicy = "keep-serving" | "exit";

/** How a standalone process handles what nobody handled. */
export interface CrashOptions {
  unhandledRejection: RejectionPolicy;
  /** How long a clean stop may take after a crash before the process exits anyway. */
  stopDeadlineMs?: number;
}

/** The error's message and stack, for a log line (a rejection may carry anything, not only an Error). */
export function describeError(err: unknown): { err: string; stack?: string } {
  if (err instanceof Error) return { err: `${err.name}: ${err.message}`, stack: err.stack };
  return { err: typeof err === "string" ? err : (JSON.stringify(err) ?? String(err)) };
}

/** The handlers, as functions a test can call without touching its own process's listeners. */
export function crashHandlers(o: {
  logger: Logger;
  /** Where the process is (starting, serving, stopping), added to each line. */
  phase(): string;
  crash: CrashOptions;
  /** Stops the app and exits with `code`. */
  exit(reason: string, code: number): void;
}) {
  let rejections = 0;
  return {
    unhandledRejection(reason: unknown): void {
      rejections += 1;
      o.logger.error("unhandled promise rejection", {
        phase: o.phase(),
        policy: o.crash.unhandledRejection,
        count: rejections,
        ...describeError(reason),
      });
      if (o.crash.unhandledRejection === "exit") o.exit("unhandledRejection", 1);
    },
    uncaughtException(err: unknown): void {
      o.logger.error("uncaught exception: stopping so the supervisor restarts the app", {
        phase: o.phase(),
        ...describeError(err),
      });
      o.exit("uncaughtException", 1);
    },
  };
}

/**
 * Runs `start` as a standalone process: stops cleanly on SIGINT/SIGTERM, and handles an unhandled rejection
 * or an uncaught exception as `crash` says (logged with the app's name and the error's stack either way).
 */
export async function runStandalone(
  start: (options: AppStartOptions) => Promise<RunningApp>,
  options: AppStartOptions,
  crash: CrashOptions = { unhandledRejection: "keep-serving" },
): Promise<void> {
  let app: RunningApp | undefined;
  let stopping = false;
  const stop = async (signal: string, code: number) => {
    if (stopping) return;
    stopping = true;
    options.logger.info(`${app?.name ?? "app"} stopping`, { signal });
    // A crash must not hang on a stop that cannot finish: the supervisor is waiting for the exit.
    const deadline = setTimeout(() => process.exit(code), crash.stopDeadlineMs ?? 15_000);
    await app?.stop().catch((err) => options.logger.error("stop failed", describeError(err)));
    clearTimeout(deadline);
    process.exit(code);
  };
  // Installed before start(), so a rejection while starting is reported with the same context.
  // (A failed start() also lands here: Bun reports a rejected top-level await as an uncaught exception.)
  const handlers = crashHandlers({
    logger: options.logger,
    phase: () => (stopping ? "stopping" : app ? "serving" : "starting"),
    crash,
    exit: (reason, code) => void stop(reason, code),
  });
  process.on("unhandledRejection", (reason) => handlers.unhandledRejection(reason));
  process.on("uncaughtException", (err) => handlers.uncaughtException(err));
  process.on("SIGINT", () => void stop("SIGINT", 0));
  process.on("SIGTERM", () => void stop("SIGTERM", 0));
  app = await start(options);
  for (const [what, url] of Object.entries(app.urls)) options.logger.info(`${app.name} ${what}: ${url}`);
}
