import type { Timers } from "../src/live-state.ts";

/** A clock a test moves by hand: timers fire, in order, when `advance` passes their time. */
export function manualTimers(start = Date.UTC(2026, 10, 29, 1)) {
  let now = start;
  let pending: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const timers: Timers = {
    now: () => now,
    after(ms, fn) {
      const t = { at: now + ms, fn, live: true };
      pending.push(t);
      return () => {
        t.live = false;
      };
    },
  };
  return {
    timers,
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = pending.filter((t) => t.live && t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = due.at;
        due.live = false;
        due.fn();
      }
      pending = pending.filter((t) => t.live);
      now = until;
    },
  };
}
