/**
 * The run-time debug switch: OXPACK_DEBUG=1 (or a comma-separated list of topics: resolve, addons,
 * workers, esm, cache, timing) logs what the runtime does to stderr, one "oxpack:<topic> ..." line per event.
 */
export type DebugTopic = 'resolve' | 'addons' | 'workers' | 'esm' | 'cache' | 'timing';

/** A logger for `topic`, or undefined when the switch does not select it (no cost in that case). */
export function debugLog(topic: DebugTopic, env: NodeJS.ProcessEnv = process.env): ((message: string) => void) | undefined {
  const value = env.OXPACK_DEBUG;
  if (!value || value === '0') return undefined;
  const topics = value.split(',').map((t) => t.trim());
  if (!(value === '1' || value === '*' || topics.includes(topic))) return undefined;
  if (topic === 'timing') return recordTiming;
  return (message) => {
    process.stderr.write(`oxpack:${topic} ${message}\n`);
  };
}

/**
 * Milliseconds since the process started, for timing messages. Not performance.now(): the global
 * `performance` loads perf_hooks and ten modules behind it on first use, about 0.6 ms that every start
 * paid for two numbers it never printed.
 */
export function sinceStart(): number {
  return process.uptime() * 1e3;
}

// Timings are written at exit: the first write to stderr sets up its stream, a cost that would land
// in the very steps being timed.
const timings: string[] = [];
function recordTiming(message: string): void {
  if (timings.length === 0) process.once('exit', () => process.stderr.write(timings.map((t) => `oxpack:timing ${t}\n`).join('')));
  timings.push(message);
}
