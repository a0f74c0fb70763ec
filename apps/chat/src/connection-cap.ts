import type { Logger } from "@hearth/server-kit";
import type { Clock } from "./clock.ts";
import type { ChatMetrics } from "./metrics.ts";

/** A connection refused because its address holds too many already (app.ts answers 429). */
export class ConnectionLimitError extends Error {
  constructor(readonly limit: number) {
    super(`at most ${limit} chat connections per address`);
    this.name = "ConnectionLimitError";
  }
}

/**
 * Open connections per client address, capped: one address holding thousands of idle sockets would cost
 * every room's memory and fan-out. Refusals are counted in /metrics and logged at most once a minute per
 * address (a flood must not become a log flood).
 */
export class ConnectionCap {
  private readonly open = new Map<string, number>();
  private readonly loggedAt = new Map<string, number>();

  constructor(private readonly o: { perIp: number; metrics: ChatMetrics; logger: Logger; clock: Clock }) {}

  /** Takes a slot for `ip`; throws ConnectionLimitError when it has `perIp` already (0: no cap). */
  acquire(ip: string): void {
    const n = this.open.get(ip) ?? 0;
    if (this.o.perIp > 0 && n >= this.o.perIp) {
      this.o.metrics.refused("per_ip_limit");
      const now = this.o.clock.now();
      if (now - (this.loggedAt.get(ip) ?? Number.NEGATIVE_INFINITY) >= 60_000) {
        this.loggedAt.set(ip, now);
        this.o.logger.warn("chat connection refused: per-address limit", { ip, limit: this.o.perIp });
      }
      throw new ConnectionLimitError(this.o.perIp);
    }
    this.open.set(ip, n + 1);
  }

  /** Gives a slot back. */
  release(ip: string): void {
    const n = (this.open.get(ip) ?? 0) - 1;
    if (n > 0) this.open.set(ip, n);
    else {
      this.open.delete(ip);
      this.loggedAt.delete(ip);
    }
  }

  /** Connections held by one address (for tests and metrics). */
  held(ip: string): number {
    return this.open.get(ip) ?? 0;
  }

  /** Addresses holding at least one connection. */
  addresses(): number {
    return this.open.size;
  }
}
