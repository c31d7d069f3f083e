// Live updates from the bus over Server-Sent Events; views subscribe by event name.
const handlers = new Map();
let source;

export function on(event, fn) {
  if (!handlers.has(event)) handlers.set(event, new Set());
  handlers.get(event).add(fn);
  return () => handlers.get(event).delete(fn);
}

export function connect(badge) {
  if (source) return;
  source = new EventSource('api/stream');
  const show = (text, cls) => { badge.hidden = false; badge.textContent = text; badge.className = `badge ${cls}`; };
  source.onopen = () => show('live', 'ok');
  source.onerror = () => show('reconnecting', 'warn');
  for (const name of ['tick', 'bar', 'consensus', 'alert', 'order', 'trading_state', 'feed_status']) {
    source.addEventListener(name, (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      for (const fn of handlers.get(name) || []) fn(msg);
    });
  }
}

export function disconnect() {
  if (source) source.close();
  source = undefined;
  handlers.clear();
}
