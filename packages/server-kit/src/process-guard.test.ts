import { expect, test } from "bun:test";
import type { Logger } from "./logger.ts";
import { installCrashHandlers } from "./process-guard.ts";

function recordingLogger() {
  const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    info: (msg, fields) => lines.push({ msg, ...(fields ? { fields } : {}) }),
    warn: (msg, fields) => lines.push({ msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => lines.push({ msg, ...(fields ? { fields } : {}) }),
    child: () => logger,
  };
  return { logger, lines };
}

test("an unhandled rejection is logged with its stack and, under 'log', the process keeps going", async () => {
  const { logger, lines } = recordingLogger();
  const exits: number[] = [];
  const remove = installCrashHandlers(
    logger,
    { uncaughtException: "exit", unhandledRejection: "log" },
    ((code: number) => void exits.push(code)) as never,
  );
  try {
    process.emit("unhandledRejection", new Error("lost promise"), Promise.resolve());
    process.emit("uncaughtException", new Error("boom"));
  } finally {
    remove();
  }
  expect(lines.map((l) => l.msg)).toEqual(["unhandled promise rejection", "uncaught exception"]);
  expect(lines[0]?.fields?.err).toBe("Error: lost promise");
  expect(String(lines[0]?.fields?.stack)).toContain("lost promise");
  // Only the uncaught exception exits (status 1), as the policy says.
  expect(exits).toEqual([1]);
});
