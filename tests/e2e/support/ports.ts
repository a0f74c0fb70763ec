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
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (TOP - LOWEST));
      if (bindable(port)) return port;
    }
  }
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
