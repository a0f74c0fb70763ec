import type { Logger } from "@hearth/server-kit";
import type { ChatService } from "./services.ts";

/** Viewer counts per stream, refreshed in the background so GET /streams never waits on chat. */
export interface ViewerCounts {
  get(publicId: string): number;
}

/** Keeps the last counts the chat service reported; start() polls until stop(). */
export function polledViewerCounts(chat: ChatService, intervalMs: number, logger: Logger) {
  let counts = new Map<string, number>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let failing = false;
  const refresh = async () => {
    try {
      const { rooms } = await chat.counts();
      counts = new Map(Object.entries(rooms).map(([id, c]) => [id, c.viewers]));
      if (failing) logger.info("viewer counts available again");
      failing = false;
    } catch (err) {
      // Chat being away must not break the directory: keep the last counts, say so once.
      if (!failing) logger.warn("viewer counts unavailable", { err: (err as Error).message });
      failing = true;
    }
  };
  return {
    get: (publicId: string) => counts.get(publicId) ?? 0,
    refresh,
    start() {
      void refresh();
      timer = setInterval(refresh, intervalMs);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
