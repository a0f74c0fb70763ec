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

/** Runs `start` as a standalone process: stops cleanly on SIGINT/SIGTERM. */
export async function runStandalone(
  start: (options: AppStartOptions) => Promise<RunningApp>,
  options: AppStartOptions,
): Promise<void> {
  const app = await start(options);
  for (const [what, url] of Object.entries(app.urls)) options.logger.info(`${app.name} ${what}: ${url}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    options.logger.info(`${app.name} stopping`, { signal });
    await app.stop().catch((err) => options.logger.error("stop failed", { err: String(err) }));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}
