import { api } from '../api.js';
import { fmtTime, h, table, toast } from '../dom.js';

export function auditView(root, ctx) {
  const holder = h('div', {}, h('p', { class: 'muted', text: 'loading…' }));
  root.append(h('h2', { text: 'Audit log' }), h('p', { class: 'muted', text: 'Every state-changing action taken through the console, by operator.' }), holder);
  api('audit?limit=200').then((r) => {
    holder.replaceChildren(table('Operator actions, newest first', ['When', 'Operator', 'Role', 'Action', 'Target', 'Detail', 'Outcome'],
      r.entries.map((e) => [fmtTime(e.ts), e.operator, e.role, e.action, e.target, e.detail,
        h('span', { class: `state ${e.outcome === 'ok' ? 'ok' : e.outcome === 'failed' ? 'bad' : 'warn'}`, text: e.error ? `${e.outcome}: ${e.error}` : e.outcome })])));
  }, (e) => (e.status === 401 ? ctx.onAuthLost('Session expired: sign in again') : toast(e.message)));
}
