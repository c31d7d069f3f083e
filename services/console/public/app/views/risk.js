import { api } from '../api.js';
import { fmtTime, h, table, toast } from '../dom.js';
import * as live from '../live.js';

const STATES = [
  ['ACTIVE', 'Trading normally'],
  ['REDUCING', 'Only orders that reduce positions'],
  ['HALTED', 'No new orders (kill switch)'],
];

export function riskView(root, ctx) {
  const canSetState = ctx.session.actions.includes('trading.state');
  const canEditLimits = ctx.session.actions.includes('risk.limits');
  const current = h('output', { id: 'trading-state', class: 'state', 'aria-live': 'polite', text: '…' });
  const detail = h('p', { class: 'muted', id: 'trading-state-detail' });
  const limitsHolder = h('div');

  const reason = h('textarea', { id: 'ks-reason', required: true, minlength: '3', maxlength: '200', rows: '3' });
  const dialogTitle = h('h3', { id: 'ks-title' });
  const dialogError = h('p', { class: 'error', role: 'alert' });
  let target = null;
  const dialog = h('dialog', { 'aria-labelledby': 'ks-title', class: 'card' },
    h('form', { method: 'dialog', novalidate: true },
      dialogTitle,
      h('label', { for: 'ks-reason', text: 'Reason (recorded in the audit log)' }), reason,
      dialogError,
      h('div', { class: 'row' },
        h('button', { type: 'button', value: 'cancel', text: 'Cancel', onclick: () => dialog.close() }),
        h('button', { type: 'submit', class: 'danger', id: 'ks-confirm', text: 'Confirm' }))));
  dialog.querySelector('form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    dialogError.textContent = '';
    if (reason.value.trim().length < 3) { dialogError.textContent = 'Give a reason (at least 3 characters).'; reason.focus(); return; }
    try {
      const s = await api('risk/trading-state', { method: 'POST', body: { state: target, reason: reason.value.trim(), confirm: true } });
      dialog.close();
      show(s);
      toast(`Trading state is now ${s.state}`);
    } catch (e) {
      if (e.status === 401) { dialog.close(); ctx.onAuthLost('Session expired: sign in again'); return; }
      dialogError.textContent = e.message;
    }
  });

  const buttons = STATES.map(([state, what]) => h('button', {
    type: 'button', class: state === 'HALTED' ? 'danger' : '', 'data-state': state, disabled: !canSetState,
    'aria-describedby': 'ks-help', text: state, title: what,
    onclick: () => {
      target = state;
      dialogTitle.textContent = `Set trading state to ${state}?`;
      reason.value = '';
      dialogError.textContent = '';
      dialog.showModal();
      reason.focus();
    },
  }));

  function show(s) {
    current.textContent = s.state;
    current.className = `state ${s.state === 'ACTIVE' ? 'ok' : s.state === 'REDUCING' ? 'warn' : 'bad'}`;
    detail.textContent = `${s.reason || ''}${s.updated_by ? ` · by ${s.updated_by}` : ''}${s.updated_at ? ` · ${fmtTime(s.updated_at)}` : ''}`;
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.state === s.state));
  }

  root.append(
    h('h2', { text: 'Risk' }),
    h('section', { class: 'card', 'aria-labelledby': 'ks-heading' },
      h('h3', { id: 'ks-heading', text: 'Trading state' }),
      h('p', {}, 'Now: ', current), detail,
      h('div', { class: 'row', role: 'group', 'aria-label': 'Set trading state' }, buttons),
      h('p', { id: 'ks-help', class: 'muted', text: canSetState ? 'Each change asks for confirmation and a reason.' : 'Only an admin may change the trading state.' })),
    h('section', { class: 'card', 'aria-labelledby': 'limits-heading' }, h('h3', { id: 'limits-heading', text: 'Limits' }), limitsHolder),
    dialog);

  function renderLimits(limits, editable) {
    if (!canEditLimits) {
      limitsHolder.replaceChildren(table('Risk limits', ['Limit', 'Value'], editable.map((k) => [k, String(limits[k] ?? '')])));
      return;
    }
    const inputs = editable.map((k) => h('input', { id: `limit-${k}`, name: k, value: String(limits[k] ?? ''), inputmode: 'decimal', pattern: '^(0|[1-9][0-9]*)([.][0-9]+)?$' }));
    const why = h('input', { id: 'limits-reason', required: true, minlength: '3', maxlength: '200' });
    const err = h('p', { class: 'error', role: 'alert' });
    const form = h('form', { class: 'grid' },
      editable.map((k, i) => [h('label', { for: `limit-${k}`, text: k }), inputs[i]]),
      h('label', { for: 'limits-reason', text: 'Reason' }), why,
      h('button', { type: 'submit', class: 'primary', text: 'Save limits' }), err);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      const changed = {};
      editable.forEach((k, i) => { if (inputs[i].value.trim() !== String(limits[k] ?? '')) changed[k] = inputs[i].value.trim(); });
      if (Object.keys(changed).length === 0) { err.textContent = 'Nothing changed.'; return; }
      if (!window.confirm(`Change ${Object.keys(changed).join(', ')}?`)) return;
      try {
        const l = await api('risk/limits', { method: 'PUT', body: { limits: changed, reason: why.value.trim(), confirm: true } });
        toast('Limits saved');
        renderLimits(l, editable);
      } catch (e) { err.textContent = e.message; }
    });
    limitsHolder.replaceChildren(form);
  }

  api('risk').then((r) => {
    if (r.trading_state.ok) show(r.trading_state.value);
    else { current.textContent = 'unknown'; detail.textContent = r.trading_state.error.message; }
    if (r.limits.ok) renderLimits(r.limits.value, r.editable_limits);
    else limitsHolder.replaceChildren(h('p', { class: 'muted', text: r.limits.error.message }));
  }, (e) => (e.status === 401 ? ctx.onAuthLost('Session expired: sign in again') : toast(e.message)));

  return live.on('trading_state', (m) => show(m.data));
}
