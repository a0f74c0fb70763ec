/**
 * Chat benchmark: one chat node (its own process, Postgres history, no Redis) and a load generator
 * (another process) with N clients in one room and M messages/s sent. Each step is bounded (--seconds).
 *   bun bench/chat/run.ts [--clients 1000,5000,10000] [--rates 10,50,100] [--seconds 10] [--batch-ms 20]
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openDatabase } from "@hearth/db";
import { freePort } from "../../tests/e2e/support/ports.ts";
import { untilAnswers } from "../../tests/e2e/support/until.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "1000,5000,10000" },
    rates: { type: "string", default: "10,50,100" },
    seconds: { type: "string", default: "10" },
    /** The server's CHAT_FANOUT_BATCH_MS (0 turns batching off), to compare both ways. */
    "batch-ms": { type: "string", default: "20" },
  },
});
const PG_URL = "postgres://postgres@127.0.0.1:5432/test";
const TOKEN = `bench-${randomBytes(12).toString("hex")}`;
const ROOT = join(import.meta.dir, "../..");

const schema = `bench_chat_${randomBytes(4).toString("hex")}`;
const db = await openDatabase({ url: PG_URL, schema, max: 1 });
await db.migrate();

const port = freePort();
const server = Bun.spawn(["bun", join(ROOT, "apps/chat/src/main.ts")], {
  env: {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    CHAT_PORT: String(port),
    BIND_HOST: "127.0.0.1",
    INTERNAL_TOKEN: TOKEN,
    DATABASE_URL: PG_URL,
    DATABASE_SCHEMA: schema,
    // The benchmark's few senders post far faster than a person may.
    CHAT_RATE_MESSAGES: "1000000",
    CHAT_RATE_BURST: "1000000",
    CHAT_FANOUT_BATCH_MS: values["batch-ms"],
    // Every simulated viewer comes from 127.0.0.1: the per-address cap would refuse all but 50.
    CHAT_MAX_CONNECTIONS_PER_IP: "0",
  },
  stdout: "ignore",
  stderr: "ignore",
});
const http = `http://127.0.0.1:${port}`;
const results: Array<Record<string, unknown>> = [];

try {
  await untilAnswers(`${http}/healthz`, 20_000);
  for (const clients of (values.clients ?? "").split(",").map(Number)) {
    const room = `bench_${randomBytes(5).toString("hex")}`;
    const res = await fetch(`${http}/internal/rooms`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ publicId: room }),
    });
    if (!res.ok) throw new Error(`cannot create room: ${res.status}`);
    const load = Bun.spawn(
      [
        "bun",
        join(import.meta.dir, "load.ts"),
        `--url=ws://127.0.0.1:${port}/rooms/${room}`,
        `--clients=${clients}`,
        `--rates=${values.rates}`,
        `--seconds=${values.seconds}`,
        `--server-pid=${server.pid}`,
      ],
      { stdout: "pipe", stderr: "inherit" },
    );
    // The server's own responsiveness while loaded: /healthz round trips from this (idle) process.
    const pings: Array<{ at: number; ms: number }> = [];
    let pinging = true;
    const pinger = (async () => {
      while (pinging) {
        const t = performance.now();
        const ok = await fetch(`${http}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) pings.push({ at: Date.now(), ms: performance.now() - t });
        await Bun.sleep(100);
      }
    })();
    // Bounded: connecting plus every step plus its drain, with room to spare.
    const limit = setTimeout(
      () => load.kill("SIGKILL"),
      60_000 + 20_000 * (values.rates ?? "").split(",").length,
    );
    const out = await new Response(load.stdout).text();
    clearTimeout(limit);
    await load.exited;
    pinging = false;
    await pinger;
    for (const line of out.split("\n").filter((l) => l.startsWith("{"))) {
      const r = JSON.parse(line) as Record<string, unknown>;
      const inStep = pings
        .filter((p) => p.at >= Number(r.wallStart) && p.at <= Number(r.wallEnd))
        .map((p) => p.ms)
        .sort((a, b) => a - b);
      r.serverPingP99 = Math.round(inStep[Math.floor(inStep.length * 0.99)] ?? Number.NaN);
      results.push(r);
      console.log(JSON.stringify(r));
    }
    // Let the room empty before the next, larger step.
    await Bun.sleep(1000);
  }
} finally {
  server.kill("SIGTERM");
  await server.exited;
  await db.db.execute(`drop schema if exists "${schema}" cascade`);
  await db.close();
}

/** The summary table: heading, result field, column width (each heading fits its column). */
const COLUMNS: Array<[string, string, number]> = [
  ["clients", "clients", 7],
  ["msgs/s in", "rateIn", 10],
  ["deliveries/s", "deliveriesPerSec", 13],
  ["delivered", "deliveredRatio", 10],
  ["p50 ms", "p50", 7],
  ["p99 ms", "p99", 7],
  ["dropped", "droppedClients", 8],
  ["server CPU", "serverCpu", 11],
  ["kernel share", "serverKernelShare", 13],
  ["loadgen CPU", "loadCpu", 12],
  ["server RSS MB", "serverRssMb", 14],
  ["server ping p99", "serverPingP99", 16],
  ["loadgen lag p99", "loadLagP99", 16],
];
console.log(`\n${COLUMNS.map(([heading, , width]) => heading.padStart(width)).join(" ")}`);
for (const r of results)
  console.log(COLUMNS.map(([, field, width]) => String(r[field]).padStart(width)).join(" "));
console.log(`(server fan-out batching: ${values["batch-ms"]} ms for rooms of 500+ sockets)`);
console.log(
  "(CPU in cores; this machine has 2 shared cores and other work may be running on them. Ping: /healthz round trip" +
    " to the server during the step, ms. Lag: how late the load generator's 10 ms timer fired, ms. Kernel share: the" +
    " part of the server's CPU spent in the kernel, where loopback send() also does the receiving side's TCP work.)",
);
