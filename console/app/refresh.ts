/**
 * Live refresh: runs a task every few seconds while the page is visible, paused while
 * the tab is hidden (`document.visibilityState`), resumed at once when it shows again.
 * Runs never overlap: the next one is scheduled when the last has finished.
 */

/** How often the views and the health strip look again (SPEC §16: "refreshing live"). */
export const REFRESH_INTERVAL_MS = 3000;

/** Starts refreshing; the returned function stops it (and aborts a run under way). */
export function startRefresh(task: (signal: AbortSignal) => Promise<void>, intervalMs = REFRESH_INTERVAL_MS): () => void {
  const stopped = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  const schedule = () => {
    clearTimeout(timer);
    timer = undefined;
    if (stopped.signal.aborted || running || document.visibilityState !== 'visible') return;
    timer = setTimeout(run, intervalMs);
  };
  const run = () => {
    timer = undefined;
    if (stopped.signal.aborted || document.visibilityState !== 'visible') return;
    running = true;
    task(stopped.signal)
      .catch(() => undefined) // a task shows its own failures; the next run tries again
      .finally(() => {
        running = false;
        schedule();
      });
  };
  const onVisibilityChange = () => {
    if (document.visibilityState !== 'visible') {
      clearTimeout(timer);
      timer = undefined;
    } else if (!running) run();
  };

  document.addEventListener('visibilitychange', onVisibilityChange);
  schedule();
  return () => {
    stopped.abort();
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibilityChange);
  };
}
