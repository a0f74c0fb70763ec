/**
 * Crash safety of a standalone app process (`runStandalone`): an unhandled rejection is logged with its
 * stack and, by policy, the app keeps serving or stops cleanly and exits 1; an uncaught exception always
 * stops cleanly and exits 1, for the supervisor to restart it.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { answers, until } from "./support/until.ts";

const FIXTURE = join(import.meta.dir, "support", "crash-fixture.ts");

async function runFixture(policy: string) {
  const proc = Bun.spawn([process.execPath, FIXTURE, policy], { stdout: "pipe", stderr: "pipe" });
  let out = "";
  let err = "";
  void (async () => {
    for await (const c of proc.stdout) out += new TextDecoder().decode(c);
  })();
  void (async () => {
    for await (const c of proc.stderr) err += new TextDecoder().decode(c);
  })();
  const port = await until("the fixture's port", 20_000, () => /port (\d+)/.exec(out)?.[1]);
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  return { proc, url, log: () => err };
}

/** The exit code, or "running" if the process has not exited within `ms`. */
const exitWithin = (proc: Bun.Subprocess, ms: number) =>
  Promise.race([proc.exited, Bun.sleep(ms).then(() => "running" as const)]);

test("log: an unhandled rejection is logged with its stack and the app still answers", async () => {
  const f = await runFixture("log");
  try {
    await fetch(f.url("/reject"));
    await until("the rejection in the log", 10_000, () => f.log().includes("unhandled promise rejection"));
    const line = JSON.parse(
      f
        .log()
        .split("\n")
        .find((l) => l.includes("unhandled promise rejection")) ?? "{}",
    );
    expect(line).toMatchObject({ level: "error", svc: "fixture", policy: "log" });
    expect(line.err).toBe("Error: a bug nobody awaited");
    expect(line.stack).toContain("crash-fixture.ts");
    await until("the app to answer after it", 10_000, answers(f.url("/healthz")));
    expect(f.proc.exitCode).toBeNull();
  } finally {
    f.proc.kill("SIGKILL");
    await f.proc.exited;
  }
}, 30_000);

test("exit: an unhandled rejection stops the app cleanly and exits 1", async () => {
  const f = await runFixture("exit");
  await fetch(f.url("/reject"));
  expect(await exitWithin(f.proc, 20_000)).toBe(1);
  expect(f.log()).toContain("unhandled promise rejection");
  expect(f.log()).toContain("fixture stopped cleanly");
}, 30_000);

test("an uncaught exception stops the app cleanly and exits 1", async () => {
  const f = await runFixture("log");
  await fetch(f.url("/throw"));
  expect(await exitWithin(f.proc, 20_000)).toBe(1);
  const log = f.log();
  expect(log).toContain("uncaught exception");
  expect(log).toContain("SyntaxError");
  expect(log).toContain("fixture stopped cleanly");
}, 30_000);
