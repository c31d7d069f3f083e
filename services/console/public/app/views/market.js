import { api } from '../api.js';
import { fmtTime, h, toast } from '../dom.js';
import * as live from '../live.js';

const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'];

function toCandle(b) {
  return { time: Math.floor(Number(b.open_time) / 1000), open: Number(b.open), high: Number(b.high), low: Number(b.low), close: Number(b.close) };
}

export function marketView(root, ctx) {
  const symbolSel = h('select', { id: 'market-symbol' });
  const tfSel = h('select', { id: 'market-timeframe' }, TIMEFRAMES.map((t) => h('option', { value: t, text: t, selected: t === '1h' })));
  const chartBox = h('div', { class: 'chart', id: 'chart', role: 'img', 'aria-label': 'Candlestick chart of the selected symbol' });
  const prices = h('dl', { class: 'stats', 'aria-live': 'off' });
  const consensus = h('ol', { class: 'feed', 'aria-label': 'Consensus signals as they arrive' });
  const alerts = h('ol', { class: 'feed', 'aria-label': 'Price alerts as they arrive' });
  root.append(h('h2', { text: 'Market' }),
    h('div', { class: 'row' }, h('label', { for: 'market-symbol', text: 'Symbol' }), symbolSel, h('label', { for: 'market-timeframe', text: 'Timeframe' }), tfSel),
    chartBox,
    h('p', { class: 'muted attribution' }, 'Charts by ', h('a', { href: 'https://www.tradingview.com/', rel: 'noopener noreferrer', target: '_blank', text: 'TradingView Lightweight Charts™' })),
    h('h3', { text: 'Latest prices' }), prices,
    h('div', { class: 'cols' },
      h('section', {}, h('h3', { text: 'Consensus' }), consensus),
      h('section', {}, h('h3', { text: 'Alerts' }), alerts)));

  const Charts = window.LightweightCharts;
  let chart = null, series = null, markers = null;
  const fills = [];
  if (Charts) {
    const css = getComputedStyle(document.documentElement);
    const color = (v, d) => (css.getPropertyValue(v).trim() || d);
    chart = Charts.createChart(chartBox, {
      autoSize: true,
      // The built-in logo injects an inline <style>, which the CSP forbids; the attribution the
      // library's licence asks for is the link under the chart instead.
      layout: { background: { color: 'transparent' }, textColor: color('--fg', '#222'), attributionLogo: false },
      grid: { vertLines: { color: color('--grid', '#8882') }, horzLines: { color: color('--grid', '#8882') } },
      timeScale: { timeVisible: true },
    });
    series = chart.addSeries(Charts.CandlestickSeries, {});
    if (Charts.createSeriesMarkers) markers = Charts.createSeriesMarkers(series, []);
  } else {
    chartBox.textContent = 'Chart library not loaded.';
  }

  async function loadBars() {
    if (!series || !symbolSel.value) return;
    fills.length = 0;
    if (markers) markers.setMarkers([]);
    try {
      const r = await api(`bars?symbol=${encodeURIComponent(symbolSel.value)}&timeframe=${tfSel.value}&limit=500`);
      series.setData(r.bars.map(toCandle).sort((a, b) => a.time - b.time));
      chart.timeScale().fitContent();
    } catch (e) {
      if (e.status === 401) ctx.onAuthLost('Session expired: sign in again');
      else { series.setData([]); toast(`Bars: ${e.message}`); }
    }
  }

  api('symbols').then((r) => {
    symbolSel.replaceChildren(...r.symbols.map((s) => h('option', { value: s, text: s })));
    void loadBars();
  }, (e) => toast(e.message));
  symbolSel.addEventListener('change', loadBars);
  tfSel.addEventListener('change', loadBars);

  const priceCells = new Map();
  const offs = [
    live.on('tick', (m) => {
      const p = m.data;
      let dd = priceCells.get(p.symbol);
      if (!dd) {
        dd = h('dd');
        priceCells.set(p.symbol, dd);
        prices.append(h('div', { class: 'stat' }, h('dt', { text: p.symbol }), dd));
      }
      dd.textContent = `${p.price} · ${fmtTime(p.ts)}`;
    }),
    live.on('bar', (m) => {
      const b = m.data;
      if (series && b.symbol === symbolSel.value && b.timeframe === tfSel.value) {
        try { series.update(toCandle(b)); } catch { /* an older bar than the chart's last */ }
      }
    }),
    live.on('order', (m) => {
      const o = m.data;
      if (!markers || o.symbol !== symbolSel.value || (o.event !== 'filled' && o.event !== 'partially_filled')) return;
      const tfSeconds = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '4h': 14400, '1d': 86400 }[tfSel.value];
      const t = Math.floor(Number(o.ts) / 1000 / tfSeconds) * tfSeconds;
      fills.push({ time: t, position: o.side === 'buy' ? 'belowBar' : 'aboveBar', shape: o.side === 'buy' ? 'arrowUp' : 'arrowDown', color: o.side === 'buy' ? '#16a34a' : '#dc2626', text: `${o.side} ${o.filled_qty}` });
      markers.setMarkers(fills.slice(-200).sort((a, b) => a.time - b.time));
    }),
    live.on('consensus', (m) => {
      const c = m.data;
      consensus.prepend(h('li', {}, `${fmtTime(m.ts)} ${c.symbol ?? ''} ${c.side} conf ${c.confidence} agree ${c.agreement} (${c.sources} sources) @ ${c.price} · trace ${m.trace_id}`));
      while (consensus.children.length > 30) consensus.lastChild.remove();
    }),
    live.on('alert', (m) => {
      const a = m.data;
      alerts.prepend(h('li', {}, `${fmtTime(m.ts)} ${a.symbol} ${a.direction} ${a.change_pct}% to ${a.price}`));
      while (alerts.children.length > 30) alerts.lastChild.remove();
    }),
  ];
  return () => { for (const off of offs) off(); if (chart) chart.remove(); };
}
