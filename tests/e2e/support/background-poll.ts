/** A check a test keeps running in the background while it acts (a reconnect, a crash), to see what happened between. */

/** Runs `step` again and again, `pauseMs` apart, until stop(); stop() resolves once the step under way is done. */
export function pollInBackground(step: () => Promise<void>, pauseMs: number): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await step();
      await Bun.sleep(pauseMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
