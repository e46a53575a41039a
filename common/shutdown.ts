/**
 * One shutdown path for long-running entry points. SIGINT (Ctrl-C), SIGTERM, and the death of the parent process
 * all run the same handler once. The parent check matters because `npm start` runs us under `sh -c`, and when npm
 * is sent SIGTERM the shell dies without passing the signal on; without it our children would be orphaned.
 */
export function onShutdown(handler: (reason: string) => Promise<void>): void {
  let started = false;
  const run = (reason: string): void => {
    if (started) return;
    started = true;
    handler(reason).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => run('SIGINT'));
  process.once('SIGTERM', () => run('SIGTERM'));
  const parent = process.ppid;
  const watchdog = setInterval(() => {
    if (process.ppid !== parent) run('parent process exited');
  }, 500);
  watchdog.unref();
}
