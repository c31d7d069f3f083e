import { api } from '../api.js';
import { h, table, toast } from '../dom.js';

const mb = (b) => (b === null ? '' : `${(b / 1048576).toFixed(0)} MB`);
const ms = (s) => (s === null ? '' : `${(s * 1000).toFixed(1)} ms`);

export function systemView(root, ctx) {
  const holder = h('div', {}, h('p', { class: 'muted', text: 'sampling…' }));
  root.append(h('h2', { text: 'System' }), h('p', { class: 'muted', text: 'CPU is the share of one core between two samples, 5 s apart.' }), holder);
  let previous = null;
  let stopped = false;
  async function load() {
    try {
      const r = await api('system');
      if (stopped) return;
      const before = new Map((previous?.services ?? []).map((s) => [s.service, s.cpu_seconds]));
      const dt = previous ? (r.at - previous.at) / 1000 : 0;
      holder.replaceChildren(table('Processes', ['Service', 'CPU', 'Resident memory', 'Heap used', 'Event loop lag p99'],
        r.services.map((s) => {
          const was = before.get(s.service);
          const cpu = !s.reachable ? 'unreachable' : dt > 0 && was !== null && was !== undefined && s.cpu_seconds !== null ? `${(((s.cpu_seconds - was) / dt) * 100).toFixed(1)}%` : '…';
          return [s.service, cpu, mb(s.rss_bytes), mb(s.heap_used_bytes), ms(s.eventloop_lag_p99_s)];
        })));
      previous = r;
    } catch (e) {
      if (e.status === 401) ctx.onAuthLost('Session expired: sign in again');
      else toast(e.message);
    }
  }
  void load();
  const timer = setInterval(load, 5000);
  return () => { stopped = true; clearInterval(timer); };
}
