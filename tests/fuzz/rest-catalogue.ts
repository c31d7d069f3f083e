/**
 * The REST surface of the fleet, declared: every route each service registers, with its path
 * parameters, query parameters and JSON body fields and the kind of value each takes (gathered
 * from the services' adapters/http*.ts and the validation they call). There is no OpenAPI
 * document; this is the one the fuzz suite works from. catalogue.test.ts checks it against the
 * routes the express routers actually register, so a new route cannot be left out.
 *
 * `baseline` is a VALID request: the suite replaces one or more inputs by hostile values of their
 * kind, so a route that forgot to validate one input would act on an otherwise valid request.
 * `allowed` is the precise set of answers a hostile request may get.
 */
import type { ServiceName } from '@cte/shared';
import type { Kind } from './hostile';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RestRoute {
  service: ServiceName;
  method: HttpMethod;
  /** The express pattern, e.g. `/orders/:id`. */
  path: string;
  params?: Record<string, Kind>;
  query?: Record<string, Kind>;
  /** JSON body fields; absent for routes that read no body. */
  body?: Record<string, Kind>;
  baseline: { params?: Record<string, string>; query?: Record<string, string>; body?: Record<string, unknown> };
  /** HTTP statuses a hostile request may get. */
  allowed: number[];
}

/** Answers Node itself gives for a URL too long to take (hostile query or path values of 90-200 KB). */
export const URL_TOO_LONG = [414, 431];

const symbol: Kind = { k: 'symbol' };
const symbols: Kind = { k: 'symbols' };
const newId: Kind = { k: 'new-id' };
const refId: Kind = { k: 'ref-id' };
const enumK: Kind = { k: 'enum' };
const int: Kind = { k: 'int' };
const decimal: Kind = { k: 'decimal' };
const decimal0: Kind = { k: 'decimal', zeroOk: true };
const time: Kind = { k: 'time' };
const traceId: Kind = { k: 'trace_id' };
const json: Kind = { k: 'json' };
const bool: Kind = { k: 'bool' };

/** Placeholders the suite fills in once the fleet runs (ids of rows it created for baselines). */
export const AGENT_ID = '$agent';

const BODY = [400, 413];
const LOOKUP = [400, 404];
const QUERY = [400];
const NO_INPUT = [200];

export const REST_ROUTES: RestRoute[] = [
  // ------------------------------------------------------------------ execution (adapters/http.ts)
  {
    service: 'execution',
    method: 'POST',
    path: '/orders',
    body: { client_order_id: newId, symbol, side: enumK, type: enumK, qty: decimal, limit_price: decimal, recommendation_id: newId, trace_id: traceId },
    baseline: { body: { client_order_id: 'fuzz-order-1', symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.01', limit_price: '1000', recommendation_id: 'fuzz-rec-1', trace_id: 'fuzz0000trace0001' } },
    allowed: BODY,
  },
  { service: 'execution', method: 'GET', path: '/orders', query: { status: enumK, symbol, limit: int, offset: int }, baseline: { query: { status: 'FILLED', symbol: 'BTC/USD', limit: '10', offset: '0' } }, allowed: QUERY },
  { service: 'execution', method: 'GET', path: '/orders/:id', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'execution', method: 'DELETE', path: '/orders/:id', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'execution', method: 'GET', path: '/trades', query: { symbol, order_id: refId, limit: int, offset: int }, baseline: { query: { symbol: 'BTC/USD', limit: '10', offset: '0' } }, allowed: QUERY },
  { service: 'execution', method: 'GET', path: '/positions', baseline: {}, allowed: NO_INPUT },
  { service: 'execution', method: 'GET', path: '/prices', baseline: {}, allowed: NO_INPUT },
  { service: 'execution', method: 'GET', path: '/trading-state', baseline: {}, allowed: NO_INPUT },

  // ------------------------------------------------------------------ portfolio (adapters/http.ts)
  { service: 'portfolio', method: 'GET', path: '/portfolio', baseline: {}, allowed: NO_INPUT },
  { service: 'portfolio', method: 'GET', path: '/positions', query: { open: bool }, baseline: { query: { open: 'true' } }, allowed: QUERY },
  { service: 'portfolio', method: 'GET', path: '/balances', baseline: {}, allowed: NO_INPUT },
  { service: 'portfolio', method: 'GET', path: '/pnl', baseline: {}, allowed: NO_INPUT },
  { service: 'portfolio', method: 'GET', path: '/exposure', baseline: {}, allowed: NO_INPUT },
  { service: 'portfolio', method: 'GET', path: '/snapshots', query: { from: int, to: int, limit: int }, baseline: { query: { from: '0', to: '4102444800000', limit: '10' } }, allowed: QUERY },
  {
    service: 'portfolio',
    method: 'POST',
    path: '/rebalance',
    body: { targets: { k: 'weights' }, execute: bool, rebalance_id: newId },
    baseline: { body: { targets: { 'BTC/USD': 0.1 }, execute: false, rebalance_id: 'fuzz-rebalance-1' } },
    allowed: BODY,
  },

  // ------------------------------------------------------------------ price-stream (adapters/http.ts)
  { service: 'price-stream', method: 'GET', path: '/prices/:symbol', params: { symbol }, baseline: {}, allowed: LOOKUP },
  { service: 'price-stream', method: 'GET', path: '/prices', query: { symbols }, baseline: { query: { symbols: 'BTC/USD' } }, allowed: QUERY },
  {
    service: 'price-stream',
    method: 'GET',
    path: '/bars/:symbol',
    params: { symbol },
    query: { timeframe: enumK, from: time, to: time, limit: int, cursor: refId, exchange: newId },
    baseline: { params: { symbol: 'BTC/USD' }, query: { timeframe: '1h', from: '0', to: '4102444800000', limit: '10', exchange: 'coinbase' } },
    allowed: LOOKUP,
  },
  {
    service: 'price-stream',
    method: 'POST',
    path: '/monitors',
    body: { id: newId, symbol, thresholdPct: { k: 'number' }, windowMs: int, exchange: newId },
    baseline: { body: { id: 'fuzz-monitor-1', symbol: 'BTC/USD', thresholdPct: 5, windowMs: 60_000, exchange: 'coinbase' } },
    allowed: BODY,
  },
  { service: 'price-stream', method: 'GET', path: '/monitors', query: { include_inactive: bool }, baseline: { query: { include_inactive: 'true' } }, allowed: QUERY },
  { service: 'price-stream', method: 'GET', path: '/monitors/:id', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'price-stream', method: 'DELETE', path: '/monitors/:id', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  {
    service: 'price-stream',
    method: 'GET',
    path: '/alerts',
    query: { symbol, monitor_id: refId, from: time, to: time, limit: int, offset: int },
    baseline: { query: { symbol: 'BTC/USD', from: '0', to: '4102444800000', limit: '10', offset: '0' } },
    allowed: QUERY,
  },

  // ------------------------------------------------------------------ recommendations (adapters/http.ts)
  { service: 'recommendations', method: 'GET', path: '/recommendations', query: { status: enumK, symbol, limit: int, offset: int }, baseline: { query: { status: 'pending', symbol: 'BTC/USD', limit: '10', offset: '0' } }, allowed: QUERY },
  { service: 'recommendations', method: 'GET', path: '/recommendations/:id', params: { id: refId }, baseline: {}, allowed: LOOKUP },

  // ------------------------------------------------------------------ risk (adapters/http.ts)
  {
    service: 'risk',
    method: 'POST',
    path: '/check',
    body: { recommendation_id: newId, symbol, side: enumK, qty: decimal, price: decimal, trace_id: traceId },
    baseline: { body: { recommendation_id: 'fuzz-check-1', symbol: 'BTC/USD', side: 'buy', qty: '0.01', price: '8000', trace_id: 'fuzz0000trace0002' } },
    allowed: BODY,
  },
  { service: 'risk', method: 'GET', path: '/kill-switch', baseline: {}, allowed: NO_INPUT },
  { service: 'risk', method: 'GET', path: '/trading-state', baseline: {}, allowed: NO_INPUT },
  { service: 'risk', method: 'POST', path: '/kill-switch', body: { state: enumK, reason: { k: 'text', required: true }, updated_by: newId }, baseline: { body: { state: 'ACTIVE', reason: 'fuzz baseline', updated_by: 'fuzz' } }, allowed: BODY },
  { service: 'risk', method: 'PUT', path: '/trading-state', body: { state: enumK, reason: { k: 'text', required: true }, updated_by: newId }, baseline: { body: { state: 'ACTIVE', reason: 'fuzz baseline', updated_by: 'fuzz' } }, allowed: BODY },
  { service: 'risk', method: 'GET', path: '/limits', baseline: {}, allowed: NO_INPUT },
  {
    service: 'risk',
    method: 'PUT',
    path: '/limits',
    body: {
      max_position_pct: decimal,
      max_gross_exposure_pct: decimal,
      max_trades_per_day: int,
      max_trades_per_day_per_symbol: int,
      max_order_notional: decimal,
      min_order_notional: decimal0,
      max_daily_loss_pct: decimal,
      max_drawdown_pct: decimal,
      max_price_age_ms: int,
      allowed_symbols: symbols,
      updated_by: newId,
    },
    baseline: { body: { max_position_pct: '5', max_order_notional: '50000', min_order_notional: '10', allowed_symbols: ['BTC/USD'], updated_by: 'fuzz' } },
    allowed: BODY,
  },
  {
    service: 'risk',
    method: 'GET',
    path: '/events',
    query: { limit: int, offset: int, decision: enumK, kind: enumK, symbol, recommendation_id: refId },
    baseline: { query: { limit: '10', offset: '0', decision: 'APPROVED', symbol: 'BTC/USD' } },
    allowed: QUERY,
  },
  { service: 'risk', method: 'GET', path: '/stats', baseline: {}, allowed: NO_INPUT },

  // ------------------------------------------------------------------ signal-generator (adapters/agent-http.ts, models-http.ts, signals-http.ts)
  {
    service: 'signal-generator',
    method: 'POST',
    path: '/agents',
    body: { name: newId, type: enumK, symbol, timeframe: enumK, config: json },
    baseline: { body: { name: 'fuzz-agent-new', type: 'trend_follower', symbol: 'BTC/USD', timeframe: '1h', config: {} } },
    allowed: BODY,
  },
  { service: 'signal-generator', method: 'GET', path: '/agents', query: { type: enumK, status: enumK, symbol, limit: int, offset: int }, baseline: { query: { type: 'trend_follower', status: 'stopped', symbol: 'BTC/USD', limit: '10', offset: '0' } }, allowed: QUERY },
  { service: 'signal-generator', method: 'GET', path: '/agents/:id', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  {
    service: 'signal-generator',
    method: 'PATCH',
    path: '/agents/:id',
    params: { id: refId },
    body: { name: newId, type: enumK, symbol, timeframe: enumK, config: json, version: int },
    baseline: { params: { id: AGENT_ID }, body: { name: 'fuzz-agent-renamed', symbol: 'BTC/USD', timeframe: '1h', config: {} } },
    allowed: [400, 404, 413],
  },
  { service: 'signal-generator', method: 'DELETE', path: '/agents/:id', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'signal-generator', method: 'POST', path: '/agents/:id/start', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'signal-generator', method: 'POST', path: '/agents/:id/stop', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'signal-generator', method: 'GET', path: '/agents/:id/logs', params: { id: refId }, query: { level: enumK, limit: int, offset: int }, baseline: { params: { id: AGENT_ID }, query: { level: 'info', limit: '10', offset: '0' } }, allowed: LOOKUP },
  {
    service: 'signal-generator',
    method: 'POST',
    path: '/agents/:id/execute',
    params: { id: refId },
    body: { parameters: json, priority: int, timeout_ms: int, max_attempts: int },
    baseline: { params: { id: AGENT_ID }, body: { parameters: {}, priority: 5, timeout_ms: 1000, max_attempts: 1 } },
    allowed: [400, 404, 413],
  },
  { service: 'signal-generator', method: 'GET', path: '/tasks/:id', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'signal-generator', method: 'POST', path: '/tasks/:id/cancel', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'signal-generator', method: 'DELETE', path: '/tasks/:id', params: { id: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'signal-generator', method: 'GET', path: '/models', baseline: {}, allowed: NO_INPUT },
  // Reads no body (it re-reads MODEL_DIR): a body that is JSON is ignored, one that is not is refused by the kit's parser.
  { service: 'signal-generator', method: 'POST', path: '/models/reload', baseline: {}, allowed: [200, 400, 413] },
  { service: 'signal-generator', method: 'GET', path: '/models/:key', params: { key: refId }, baseline: {}, allowed: LOOKUP },
  { service: 'signal-generator', method: 'GET', path: '/signals', query: { symbol, agent: refId, limit: int, offset: int }, baseline: { query: { symbol: 'BTC/USD', limit: '10', offset: '0' } }, allowed: QUERY },

  // ------------------------------------------------------------------ signals-aggregator (adapters/http.ts)
  { service: 'signals-aggregator', method: 'GET', path: '/consensus/:symbol', params: { symbol }, baseline: {}, allowed: LOOKUP },
  { service: 'signals-aggregator', method: 'GET', path: '/consensus', query: { symbol, limit: int, offset: int }, baseline: { query: { symbol: 'BTC/USD', limit: '10', offset: '0' } }, allowed: QUERY },
  { service: 'signals-aggregator', method: 'GET', path: '/signals', query: { symbol, agent: refId, limit: int, offset: int }, baseline: { query: { symbol: 'BTC/USD', limit: '10', offset: '0' } }, allowed: QUERY },
  { service: 'signals-aggregator', method: 'GET', path: '/sources', baseline: {}, allowed: NO_INPUT },
];

/** The inputs of a route that can carry a hostile value, as `where.name`. */
export function inputsOf(r: RestRoute): Array<{ where: 'params' | 'query' | 'body'; name: string; kind: Kind }> {
  const out: Array<{ where: 'params' | 'query' | 'body'; name: string; kind: Kind }> = [];
  for (const where of ['params', 'query', 'body'] as const) for (const [name, kind] of Object.entries(r[where] ?? {})) out.push({ where, name, kind });
  return out;
}
