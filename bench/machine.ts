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
