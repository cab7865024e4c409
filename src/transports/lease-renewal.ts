/**
 * Lease renewal and polling waits shared by the transports that lease deliveries (drop folder,
 * relay, Redis). A receiver that is alive keeps renewing the leases of the deliveries it holds,
 * so a slow handler is not mistaken for a crashed one; a crashed receiver stops renewing and its
 * deliveries go to another receiver once the lease runs out.
 */

/** Renews a lease; resolves false once the lease is known to be lost (taken over or gone). */
export type RenewLease = () => Promise<boolean>;

/** Renews the leases of the deliveries one receive loop holds, every `intervalMs`. */
export class LeaseRenewal {
  private readonly held = new Map<string, RenewLease>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private running = false;

  constructor(private readonly intervalMs: number) {}

  /** Start renewing the lease of delivery `id`. */
  hold(id: string, renew: RenewLease): void {
    this.held.set(id, renew);
    if (this.timer === null) {
      this.timer = setInterval(() => void this.renewAll(), this.intervalMs);
      // Renewal alone must not keep a process alive; the receive loop's own wait does that.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Stop renewing delivery `id` (acked, or given up). */
  release(id: string): void {
    this.held.delete(id);
    if (this.held.size === 0) this.stopTimer();
  }

  /** Stop renewing everything: the holder stopped; its leases will expire. */
  stop(): void {
    this.held.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async renewAll(): Promise<void> {
    if (this.running) return; // a slow renewal round must not pile up behind itself
    this.running = true;
    try {
      for (const [id, renew] of [...this.held]) {
        let kept: boolean;
        try {
          kept = await renew();
        } catch {
          kept = true; // the store is unreachable right now; try again next round
        }
        if (!kept) this.held.delete(id);
      }
    } finally {
      this.running = false;
    }
  }
}

/**
 * Wait `ms`, or less if any of the signals aborts. Never rejects. The timer is referenced on
 * purpose: a process whose only work is waiting for mail must stay alive.
 */
export function pause(ms: number, ...signals: (AbortSignal | null)[]): Promise<void> {
  return new Promise((resolve) => {
    const active = signals.filter((s): s is AbortSignal => s !== null);
    if (active.some((s) => s.aborted)) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      for (const s of active) s.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of active) s.addEventListener('abort', done, { once: true });
  });
}

/** True if any of the signals has aborted. */
export function anyAborted(...signals: (AbortSignal | null)[]): boolean {
  return signals.some((s) => s !== null && s.aborted);
}
