import { api } from '../api.js';
import { fmtTime, h, table, toast } from '../dom.js';

export function portfolioView(root, ctx) {
  const holder = h('div', {}, h('p', { class: 'muted', text: 'loading…' }));
  root.append(h('h2', { text: 'Positions and PnL' }), holder);
  async function load() {
    try {
      const r = await api('portfolio');
      if (!r.summary.ok) { holder.replaceChildren(h('p', { class: 'muted', text: r.summary.error.message })); return; }
      const s = r.summary.value;
      const x = r.exposure.ok ? r.exposure.value : null;
      const stat = (label, value) => h('div', { class: 'stat' }, h('dt', { text: label }), h('dd', { text: value }));
      holder.replaceChildren(
        h('dl', { class: 'stats' },
          stat('Equity', `${s.equity} ${s.quote_currency}`), stat('Cash', s.cash), stat('Realized PnL', s.realized_pnl),
          stat('Unrealized PnL', s.unrealized_pnl), stat('Fees', s.fees), stat('Drawdown', `${s.drawdown_pct}%`),
          x ? stat('Gross exposure', `${x.gross_exposure} (${x.gross_exposure_pct}%)`) : null,
          x ? stat('Daily PnL', x.daily_pnl) : null, stat('As of', fmtTime(s.as_of))),
        table('Positions', ['Symbol', 'Qty', 'Avg entry', 'Mark', 'Unrealized', 'Realized', 'Fees', 'Notional'],
          s.positions.map((p) => [p.symbol, p.qty, p.avg_entry_price, p.mark_price, p.unrealized_pnl, p.realized_pnl, p.fees, p.notional])));
    } catch (e) {
      if (e.status === 401) ctx.onAuthLost('Session expired: sign in again');
      else toast(e.message);
    }
  }
  void load();
  const timer = setInterval(load, 10000);
  return () => clearInterval(timer);
}
