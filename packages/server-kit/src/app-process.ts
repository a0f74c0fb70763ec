import type { DatabaseHandle } from "@hearth/db";
import type { Logger } from "./logger.ts";
import { type CrashPolicy, installCrashHandlers } from "./process-guard.ts";

/** How long a clean stop after a crash may take before the process exits anyway. */
const STOP_DEADLINE_MS = 15_000;

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
 * Runs `start` as a standalone process: stops cleanly on SIGINT/SIGTERM, and handles an exception or a
 * rejection nobody handled as `crash` says (`installCrashHandlers`: logged with its stack either way). "exit"
 * stops the app cleanly first (its ffmpegs, its sockets), then exits 1 for the supervisor to restart it.
 */
export async function runStandalone(
  start: (options: AppStartOptions) => Promise<RunningApp>,
  options: AppStartOptions,
  crash: CrashPolicy = { uncaughtException: "exit", unhandledRejection: "log" },
): Promise<void> {
  let app: RunningApp | undefined;
  let stopping = false;
  const stop = async (signal: string, code: number) => {
    if (stopping) return;
    stopping = true;
    options.logger.info(`${app?.name ?? "app"} stopping`, { signal });
    // A crash must not hang on a stop that cannot finish: the supervisor is waiting for the exit.
    const deadline = setTimeout(() => process.exit(code), STOP_DEADLINE_MS);
    await app?.stop().catch((err) => options.logger.error("stop failed", { err: String(err) }));
    clearTimeout(deadline);
    process.exit(code);
  };
  // Installed before start(), so a failure while starting is reported the same way (Bun reports a rejected
  // top-level await as an uncaught exception).
  installCrashHandlers(options.logger, crash, (code) => void stop("crash", code));
  process.on("SIGINT", () => void stop("SIGINT", 0));
  process.on("SIGTERM", () => void stop("SIGTERM", 0));
  app = await start(options);
  for (const [what, url] of Object.entries(app.urls)) options.logger.info(`${app.name} ${what}: ${url}`);
}
