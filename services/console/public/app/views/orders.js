import { api } from '../api.js';
import { fmtTime, h, table, toast } from '../dom.js';
import * as live from '../live.js';

const OPEN = new Set(['NEW', 'SUBMITTED', 'PARTIALLY_FILLED']);

export function ordersView(root, ctx) {
  const canCancel = ctx.session.actions.includes('orders.cancel');
  const status = h('select', { id: 'orders-status' },
    ['', 'NEW', 'SUBMITTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'FAILED'].map((s) => h('option', { value: s, text: s || 'all' })));
  const holder = h('div', {}, h('p', { class: 'muted', text: 'loading…' }));
  const feed = h('ol', { class: 'feed', 'aria-live': 'polite', 'aria-label': 'Order events as they arrive' });
  root.append(h('h2', { text: 'Orders and fills' }),
    h('div', { class: 'row' }, h('label', { for: 'orders-status', text: 'Status' }), status),
    holder, h('h3', { text: 'Live order events' }), feed);

  async function cancel(o) {
    if (!window.confirm(`Cancel order ${o.id} (${o.side} ${o.qty} ${o.symbol})?`)) return;
    try {
      await api(`orders/${encodeURIComponent(o.id)}/cancel`, { method: 'POST', body: { confirm: true } });
      toast(`Order ${o.id} canceled`);
      void load();
    } catch (e) { toast(e.message); }
  }

  async function load() {
    try {
      const r = await api(`orders?limit=100${status.value ? `&status=${status.value}` : ''}`);
      holder.replaceChildren(table(`Orders (${r.total} in all)`, ['Created', 'Symbol', 'Side', 'Qty', 'Filled', 'Avg price', 'Fees', 'Status', 'Reason', ''],
        r.orders.map((o) => [fmtTime(o.created_at), o.symbol, o.side, o.qty, o.filled_qty, o.avg_fill_price, o.fees, o.status, o.reason,
          canCancel && OPEN.has(o.status) ? h('button', { type: 'button', text: 'Cancel', 'aria-label': `Cancel order ${o.id}`, onclick: () => cancel(o) }) : ''])));
    } catch (e) {
      if (e.status === 401) ctx.onAuthLost('Session expired: sign in again');
      else holder.replaceChildren(h('p', { class: 'muted', text: e.message }));
    }
  }
  status.addEventListener('change', load);
  void load();
  return live.on('order', (m) => {
    const o = m.data;
    feed.prepend(h('li', {}, `${fmtTime(o.ts)} ${o.event} ${o.side} ${o.qty} ${o.symbol} ${o.status}${o.avg_fill_price && o.avg_fill_price !== '0' ? ` @ ${o.avg_fill_price}` : ''} · trace ${m.trace_id}`));
    while (feed.children.length > 50) feed.lastChild.remove();
  });
}
