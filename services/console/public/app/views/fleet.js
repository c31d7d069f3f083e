import { api } from '../api.js';
import { fmtDuration, fmtTime, h, table, toast } from '../dom.js';
import * as live from '../live.js';

export function fleetView(root, ctx) {
  const summary = h('p', { class: 'muted', id: 'fleet-summary', text: 'probing…' });
  const holder = h('div');
  const feedsHolder = h('div', {}, h('p', { class: 'muted', text: 'waiting for feed status from price-stream…' }));
  root.append(h('h2', { text: 'Fleet' }), summary, holder, h('h3', { text: 'Market data feeds' }), feedsHolder);
  // Latest status per feed, from the bus (price-stream re-sends every feed's status periodically).
  const feeds = new Map();
  const offFeeds = live.on('feed_status', (m) => {
    const f = m.data;
    feeds.set(`${f.exchange} ${f.symbol}`, f);
    feedsHolder.replaceChildren(table('Feeds: age of the last accepted trade', ['Exchange', 'Symbol', 'State', 'Age', 'Threshold', 'Last trade'],
      [...feeds.values()].map((x) => [x.exchange, x.symbol, h('span', { class: `state ${x.stale ? 'bad' : 'ok'}`, text: x.stale ? 'stale' : 'fresh' }),
        fmtDuration(x.age_ms / 1000), fmtDuration(x.threshold_ms / 1000), fmtTime(x.last_message_ms)])));
  });
  let stopped = false;
  async function load() {
    try {
      const f = await api('fleet');
      if (stopped) return;
      const ready = f.services.filter((s) => s.ready).length;
      summary.textContent = `${ready} of ${f.services.length} services ready · console ${f.console.version}, up ${fmtDuration(f.console.uptime_s)}, ${f.console.live_clients} live page(s)`;
      holder.replaceChildren(table('Services: health and readiness', ['Service', 'State', 'Version', 'Uptime', 'Reason / checks'],
        f.services.map((s) => [
          h('span', { text: s.service }),
          h('span', { class: `state ${s.ready ? 'ok' : s.reachable ? 'warn' : 'bad'}`, 'data-service': s.service, text: s.ready ? 'ready' : s.reachable ? 'not ready' : 'unreachable' }),
          s.version, fmtDuration(s.uptime_s),
          // Not ready: why. Ready: what the checks report (e.g. a feed's staleness).
          s.reason || Object.entries(s.checks).filter(([, c]) => c.reason).map(([n, c]) => `${n}: ${c.reason}`).join('; '),
        ])));
    } catch (e) {
      if (e.status === 401) ctx.onAuthLost('Session expired: sign in again');
      else toast(e.message);
    }
  }
  void load();
  const timer = setInterval(load, 5000);
  return () => { stopped = true; clearInterval(timer); offFeeds(); };
}
