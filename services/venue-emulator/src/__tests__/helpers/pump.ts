import type { VenueId } from '../../engine/types';
import type { RunningEmulator } from './emulator';

/**
 * Replays one event at a time (yielding to the event loop between them, so sockets flush and
 * clients react) until `p` settles. Fails if the capture runs out first.
 */
export async function pumpUntil<T>(run: RunningEmulator, venue: VenueId, p: Promise<T>, maxEvents = 20_000): Promise<T> {
  let settled = false;
  const watched = p.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  for (let i = 0; i < maxEvents && !settled; i++) {
    if (run.emu.step(venue, 1) === 0) break;
    // setImmediate runs after the poll phase, so socket reads and writes of this step are done.
    await new Promise((r) => (i % 50 === 49 ? setTimeout(r, 1) : setImmediate(r)));
  }
  for (let i = 0; i < 100 && !settled; i++) await new Promise((r) => setTimeout(r, 10));
  if (!settled) throw new Error(`${venue}: no result after ${maxEvents} replayed events`);
  return watched;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
