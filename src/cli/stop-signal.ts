/**
 * How the long-running servers of the CLI (`relay start`, `taxii serve`) wait to be stopped: the
 * first SIGINT or SIGTERM ends the wait, and the command then closes its server and exits 0.
 * Listening starts when this is called, so a command calls it before it prints its address: a
 * supervisor that stops the server as soon as it printed that address must not meet Node's
 * default handler (exit by signal, nothing closed).
 */

/** A promise that resolves on the first SIGINT or SIGTERM after this call. */
export function stopSignal(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
