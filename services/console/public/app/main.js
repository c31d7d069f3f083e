import { api, ApiError, setCsrf } from './api.js';
import { clear, h, toast } from './dom.js';
import * as live from './live.js';
import { fleetView } from './views/fleet.js';
import { marketView } from './views/market.js';
import { ordersView } from './views/orders.js';
import { portfolioView } from './views/portfolio.js';
import { riskView } from './views/risk.js';
import { auditView } from './views/audit.js';
import { systemView } from './views/system.js';

const VIEWS = { fleet: fleetView, market: marketView, orders: ordersView, portfolio: portfolioView, risk: riskView, system: systemView, audit: auditView };
const main = document.getElementById('main');
let session = null;
let dispose = null;

function applyTheme(value) {
  if (value === 'light' || value === 'dark') document.documentElement.dataset.theme = value;
  else delete document.documentElement.dataset.theme;
}

function setupTheme() {
  const select = document.getElementById('theme');
  let stored = 'auto';
  try { stored = localStorage.getItem('cte-theme') || 'auto'; } catch { /* storage disabled */ }
  select.value = stored;
  applyTheme(stored);
  select.addEventListener('change', () => {
    applyTheme(select.value);
    try { localStorage.setItem('cte-theme', select.value); } catch { /* storage disabled */ }
  });
}

function signInView() {
  document.getElementById('nav').hidden = true;
  document.getElementById('signout').hidden = true;
  document.getElementById('who').textContent = '';
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const name = h('input', { id: 'signin-name', name: 'username', autocomplete: 'username', required: true, maxlength: '64' });
  const password = h('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: '1024' });
  const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title', text: 'Sign in' }),
    h('label', { for: 'signin-name', text: 'Name' }), name,
    h('label', { for: 'signin-password', text: 'Password' }), password,
    h('button', { type: 'submit', class: 'primary', text: 'Sign in' }),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      const s = await api('session', { method: 'POST', body: { name: name.value, password: password.value } });
      password.value = '';
      start(s);
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : 'sign-in failed';
      password.focus();
    }
  });
  clear(main).append(form);
  name.focus();
}

function route() {
  if (!session) return;
  const name = (location.hash || '#fleet').slice(1);
  const view = VIEWS[name] || fleetView;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (dispose) { try { dispose(); } catch { /* view already gone */ } }
  clear(main);
  dispose = view(main, { session, onAuthLost: signedOut }) || null;
  main.focus({ preventScroll: true });
}

function start(s) {
  session = s;
  setCsrf(s.csrf_token);
  document.getElementById('nav').hidden = false;
  document.getElementById('signout').hidden = false;
  document.getElementById('who').textContent = `${s.name} (${s.role})`;
  live.connect(document.getElementById('live'));
  route();
}

function signedOut(message) {
  session = null;
  setCsrf('');
  live.disconnect();
  if (dispose) { try { dispose(); } catch { /* gone */ } dispose = null; }
  document.getElementById('live').hidden = true;
  if (message) toast(message);
  signInView();
}

document.getElementById('signout').addEventListener('click', async () => {
  try { await api('session', { method: 'DELETE' }); } catch { /* the cookie expires anyway */ }
  signedOut('Signed out');
});
window.addEventListener('hashchange', route);
setupTheme();
api('session').then(start, () => signInView());
