#!/usr/bin/env node
// make sandbox: moves the venue emulator's paused replay (VENUE_EMULATOR_SPEED=0) forward at
// REPLAY_SPEED x wall-clock time through its admin API, starting once a client (price-stream) has
// subscribed to the venue, and exits 0 when the emulator reports the venue's replay done.
//   node scripts/sandbox-replay.js <venue>     (EMULATOR_URL, TRADING_API_KEY, REPLAY_SPEED)
const venue = process.argv[2];
const base = process.env.EMULATOR_URL;
const key = process.env.TRADING_API_KEY;
const speed = Number(process.env.REPLAY_SPEED);
if (!venue || !base || !key || !(speed > 0)) {
  console.error('usage: EMULATOR_URL=… TRADING_API_KEY=… REPLAY_SPEED=n sandbox-replay.js <venue>');
  process.exit(2);
}
const STEP_MS = 100;
/** How long price-stream may take to subscribe before this gives up. */
const SUBSCRIBE_TIMEOUT_MS = 120_000;
const headers = { 'x-trading-api-key': key, 'content-type': 'application/json' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function venueInfo() {
  const res = await fetch(`${base}/admin/venues`, { headers });
  if (!res.ok) throw new Error(`GET /admin/venues: ${res.status}`);
  const v = (await res.json()).venues.find((x) => x.venue === venue);
  if (!v) throw new Error(`the emulator does not serve ${venue}`);
  return v;
}

/** The emulator reports each venue's replay done (`replay.done`) once its last event is out. */
const isDone = (v) => {
  if (typeof v.replay?.done !== 'boolean') throw new Error('GET /admin/venues reports no replay.done');
  return v.replay.done;
};

(async () => {
  const deadline = Date.now() + SUBSCRIBE_TIMEOUT_MS;
  while ((await venueInfo()).connections === 0) {
    if (Date.now() > deadline) throw new Error(`no client subscribed to ${venue} within ${SUBSCRIBE_TIMEOUT_MS / 1000} s`);
    await sleep(200);
  }
  const started = Date.now();
  for (;;) {
    const ms = Math.round((Date.now() - started) * speed);
    const res = await fetch(`${base}/admin/replay/advance`, { method: 'POST', headers, body: JSON.stringify({ venue, ms }) });
    if (!res.ok) throw new Error(`POST /admin/replay/advance: ${res.status} ${await res.text()}`);
    if (isDone(await venueInfo())) break;
    await sleep(STEP_MS);
  }
  console.log(`== venue emulator: ${venue} replay done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
})().catch((err) => {
  console.error(`sandbox-replay: ${err.message}`);
  process.exit(1);
});
