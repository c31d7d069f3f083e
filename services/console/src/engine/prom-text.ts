/** Reading a few samples out of a Prometheus text exposition (the kit's /metrics). */

/** The value of the first sample of `name` (any labels), or null when absent or not a number. */
export function sampleValue(text: string, name: string): number | null {
  let at = 0;
  for (;;) {
    const i = text.indexOf(name, at);
    if (i < 0) return null;
    at = i + name.length;
    // A sample line starts with the name and continues with labels or a space.
    if (i > 0 && text[i - 1] !== '\n') continue;
    const next = text[at];
    if (next !== '{' && next !== ' ') continue;
    const end = text.indexOf('\n', at);
    const line = text.slice(i, end < 0 ? undefined : end);
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    return Number.isFinite(value) ? value : null;
  }
}

export interface ProcessSample {
  cpu_seconds: number | null;
  rss_bytes: number | null;
  heap_used_bytes: number | null;
  eventloop_lag_p99_s: number | null;
}

export function processSample(text: string): ProcessSample {
  return {
    cpu_seconds: sampleValue(text, 'process_cpu_seconds_total'),
    rss_bytes: sampleValue(text, 'process_resident_memory_bytes'),
    heap_used_bytes: sampleValue(text, 'nodejs_heap_size_used_bytes'),
    eventloop_lag_p99_s: sampleValue(text, 'nodejs_eventloop_lag_p99_seconds'),
  };
}
