/**
 * CPU time the hypervisor gave to other guests while this machine wanted it ("steal", the eighth
 * figure of /proc/stat's cpu line), summed over all cores. On a shared VM it is the load the load
 * average does not show: another tenant's busy hour stretches every wall time of a run without a
 * single extra runnable process here. The bench prints it beside each 1 GiB run and for the
 * whole run (docs/PERFORMANCE.md, "Method").
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/stat (USER_HZ, 100 on every Linux architecture Node runs on). */
const USER_HZ = 100;

/** Seconds of stolen CPU since boot, all cores together; null where /proc/stat is missing. */
export function stolenCpuSeconds(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    if (cpu[0] !== 'cpu' || cpu.length < 9) return null;
    return Number(cpu[8]) / USER_HZ;
  } catch {
    return null;
  }
}

/** Where one thread's time went (Linux's /proc/.../schedstat): seconds on a core, and runnable but waiting for one. */
export interface ThreadTimes {
  cpu: number;
  runQueue: number;
}

/**
 * This process's main thread so far; null where /proc/self/task is missing. With the wall time
 * of a run, it splits the main thread's time three ways: on a core, waiting for a core (the
 * other threads and other guests had them), and asleep (waiting for I/O, for another thread).
 */
export function mainThreadTimes(): ThreadTimes | null {
  try {
    const [cpu, runQueue] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    if (!Number.isFinite(cpu) || !Number.isFinite(runQueue)) return null;
    return { cpu: cpu! / 1e9, runQueue: runQueue! / 1e9 };
  } catch {
    return null;
  }
}
