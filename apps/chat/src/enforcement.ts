import { ChatCloseCode, type ChatErrorCode } from "@hearth/contracts";
import type { Clock } from "./clock.ts";
import type { ChatMetrics } from "./metrics.ts";
import type { ChatSocket } from "./room.ts";
import { frame } from "./server-frame.ts";

/** How the server says no: error frames, counted drops, strikes that end in a close. */
export class Enforcement {
  constructor(
    private readonly metrics: ChatMetrics,
    private readonly strikesPerMinute: number,
    private readonly clock: Clock,
  ) {}

  /** Sends an error frame (not counted). */
  error(ws: ChatSocket, code: ChatErrorCode, message: string): void {
    ws.send(frame({ type: "error", code, message }));
  }

  /** Refuses an action: an error frame, counted as a drop. */
  refuse(ws: ChatSocket, code: ChatErrorCode, message: string): void {
    this.metrics.drop(code);
    this.error(ws, code, message);
  }

  /** Tells a banned user and disconnects them. */
  kick(ws: ChatSocket, message: string): void {
    this.error(ws, "banned", message);
    this.metrics.closed("banned");
    ws.close(ChatCloseCode.banned, "banned");
  }

  /** Records a refused frame; past the per-minute allowance the socket is closed. */
  strike(ws: ChatSocket): void {
    const now = this.clock.now();
    const s = ws.data.strikes.filter((t) => now - t < 60_000);
    s.push(now);
    ws.data.strikes = s;
    if (s.length > this.strikesPerMinute) {
      this.error(ws, "rate_limited", "too many refused frames; disconnecting");
      this.metrics.closed("flooding");
      ws.close(ChatCloseCode.flooding, "flooding");
    }
  }
}
