/**
 * The chat load generator (a separate process from the server): N receivers in one room, a few senders
 * posting M messages per second in total, one step per rate, each bounded to `--seconds`.
 * Prints one JSON line per step.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { procStat } from "../../tests/e2e/support/processes.ts";
import { connectReceiver, type ReceiverStats } from "./raw-client.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    clients: { type: "string", default: "1000" },
    rates: { type: "string", default: "10,50,100" },
    seconds: { type: "string", default: "10" },
    senders: { type: "string", default: "10" },
    samplers: { type: "string", default: "100" },
    "server-pid": { type: "string" },
  },
});
const url = new URL(values.url ?? "");
const N = Number(values.clients);
const seconds = Number(values.seconds);
const serverPid = Number(values["server-pid"]);
const stats: ReceiverStats = { messages: 0, latencies: [], closed: 0 };
const sampleEvery = Math.max(1, Math.floor(N / Number(values.samplers)));

const started = performance.now();
const sockets: Array<{ end(): void }> = [];
for (let i = 0; i < N; i += 250) {
  const batch = [];
  for (let j = i; j < Math.min(N, i + 250); j++)
    batch.push(connectReceiver(url, stats, j % sampleEvery === 0));
  sockets.push(...(await Promise.all(batch)));
}
const connectMs = performance.now() - started;

const senders: WebSocket[] = [];
for (let i = 0; i < Number(values.senders); i++) {
  // Unique per generator, so several generators can share one room (display names are unique per room).
  const ws = new WebSocket(`${url.href}?name=s${i}-${process.pid}`);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  senders.push(ws);
}
await Bun.sleep(500);

for (const rate of (values.rates ?? "").split(",").map(Number)) {
  const r = await step(rate);
  console.log(JSON.stringify({ clients: N, connectMs: Math.round(connectMs), ...r }));
  if (r.deliveredRatio < 0.5 || r.p99 > 5000 || stats.closed > N / 2) break;
}
for (const s of sockets) s.end();
for (const s of senders) s.close();
process.exit(0);

async function step(rate: number) {
  stats.messages = 0;
  stats.latencies = [];
  const closedBefore = stats.closed;
  const cpu0 = process.cpuUsage();
  const srv0 = serverCpu();
  const t0 = performance.now();
  const wallStart = Date.now();
  let sent = 0;
  let next = 0;
  // How late each 10 ms tick fires: this process's own event-loop lag.
  const lags: number[] = [];
  let lastTick = t0;
  // A 10 ms tick sends what the rate owes so far, round-robin over the senders.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      lags.push(Math.max(0, now - lastTick - 10));
      lastTick = now;
      const elapsed = now - t0;
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      const owed = Math.floor((elapsed / 1000) * rate) - sent;
      for (let k = 0; k < owed; k++) {
        const text = `t:${(performance.timeOrigin + performance.now()).toFixed(3)}`;
        senders[next++ % senders.length]?.send(JSON.stringify({ v: 1, type: "send", text }));
        sent++;
      }
    }, 10);
  });
  const sendEnd = performance.now();
  const wallEnd = Date.now();
  lags.sort((a, b) => a - b);
  const cpu1 = process.cpuUsage(cpu0);
  const srv1 = serverCpu();
  // Let the tail drain (bounded), so a backlog shows as latency rather than as loss.
  const expected = sent * (N - (stats.closed - closedBefore));
  const drainEnd = performance.now() + 3000;
  while (stats.messages < expected && performance.now() < drainEnd) await Bun.sleep(50);
  const wall = (sendEnd - t0) / 1000;
  // The server's CPU seconds in the step, all of it and the kernel's part.
  const srv =
    srv0 && srv1 ? { all: srv1.user + srv1.sys - srv0.user - srv0.sys, sys: srv1.sys - srv0.sys } : null;
  const lat = stats.latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    Math.round((lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN) * 10) / 10;
  return {
    rateIn: rate,
    sent,
    deliveries: stats.messages,
    deliveriesPerSec: Math.round(stats.messages / wall),
    deliveredRatio: Math.round((stats.messages / Math.max(1, sent * N)) * 1000) / 1000,
    p50: q(0.5),
    p99: q(0.99),
    samples: lat.length,
    droppedClients: stats.closed - closedBefore,
    loadCpu: Math.round(((cpu1.user + cpu1.system) / 1e6 / wall) * 100) / 100,
    serverCpu: srv && Math.round((srv.all / wall) * 100) / 100,
    // The kernel's share of the server's CPU: on loopback, send() also runs the receiver's TCP work.
    serverKernelShare: srv && Math.round((srv.sys / Math.max(0.01, srv.all)) * 100) / 100,
    serverRssMb: serverRss(),
    loadLagP99: Math.round(lags[Math.floor(lags.length * 0.99)] ?? 0),
    wallStart,
    wallEnd,
  };
}

/** CPU seconds the server process used so far, in user space and in the kernel (utime, stime from /proc). */
function serverCpu(): { user: number; sys: number } | undefined {
  const s = procStat(serverPid);
  return s && { user: s.userTicks / 100, sys: s.sysTicks / 100 };
}

function serverRss(): number | null {
  try {
    const status = readFileSync(`/proc/${serverPid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}
