import type { Logger } from "./logger.ts";

export interface CrashPolicy {
  /**
   * What an exception nobody caught does: "exit" logs it and exits with status 1 so the supervisor restarts a
   * clean process; "log" logs it and keeps serving.
   */
  uncaughtException: "exit" | "log";
  /** Same choice for a rejected promise nobody handled. */
  unhandledRejection: "exit" | "log";
}

/**
 * Installs the process-wide last resort for errors that escaped every handler: each is logged with its stack
 * (the context a person needs), then the policy decides. Returns a function that removes the handlers.
 * Only a standalone app's main calls this: in embedded mode the launcher owns the process.
 */
export function installCrashHandlers(
  logger: Logger,
  policy: CrashPolicy,
  exit: (code: number) => void = process.exit,
): () => void {
  const describe = (err: unknown) =>
    err instanceof Error ? { err: `${err.name}: ${err.message}`, stack: err.stack } : { err: String(err) };
  const onException = (err: unknown) => {
    logger.error("uncaught exception", { ...describe(err), policy: policy.uncaughtException });
    if (policy.uncaughtException === "exit") exit(1);
  };
  const onRejection = (reason: unknown) => {
    logger.error("unhandled promise rejection", { ...describe(reason), policy: policy.unhandledRejection });
    if (policy.unhandledRejection === "exit") exit(1);
  };
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
