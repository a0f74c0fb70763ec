/**
 * Free ports for test servers. A port the OS hands out for `listen(0)` comes from the ephemeral range, the same
 * range it takes the local port of every outgoing connection from: between our probe and our listen, any client
 * on the machine (a fetch, a database pool, another suite) may get it, and the server fails with EADDRINUSE.
 * So ports are picked below that range, where the kernel never assigns one on its own, and probed first.
 */
import { readFileSync } from "node:fs";

const LOWEST = 10_000;

/** The first port of the kernel's ephemeral range (32768 on Linux by default). */
function ephemeralStart(): number {
  try {
    const first = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > LOWEST + 1000 ? first : 0;
  } catch {
    return 0;
  }
}

const TOP = ephemeralStart();

/**
 * scripts/test.sh runs the suite as parallel shards (HEARTH_TEST_SHARD="i/n"): each picks its ports from its own
 * slice of the range, so two shards never race for the same port between probe and listen.
 */
function slice(): { from: number; to: number } {
  const m = /^(\d+)\/(\d+)$/.exec(process.env.HEARTH_TEST_SHARD ?? "");
  const i = Number(m?.[1] ?? 0);
  const n = Number(m?.[2] ?? 1);
  if (!m || n < 1 || i >= n) return { from: LOWEST, to: TOP };
  const size = Math.floor((TOP - LOWEST) / n);
  return { from: LOWEST + i * size, to: LOWEST + (i + 1) * size };
}

/** Whether a TCP listener can bind `port` on 127.0.0.1 right now. */
function bindable(port: number): boolean {
  try {
    Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1, outside the ephemeral range when the OS says where it is. */
export function freePort(): number {
  if (TOP > 0) {
    const { from, to } = slice();
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = from + Math.floor(Math.random() * (to - from));
      if (bindable(port)) return port;
    }
  }
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
