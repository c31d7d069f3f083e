/**
 * The one declaration of the fleet. Ports, dependencies and environment of
 * every service are declared here. The fleet runner (tools/fleet) reads it;
 * tools/deploy (`make generate`) generates the Dockerfile, compose file,
 * Kubernetes manifests, Helm chart and Prometheus scrape config from it.
 */
import { DEFAULT_TRADABLE_SYMBOLS } from './domain/tradable-symbols';

export interface ServiceDeclaration {
  httpPort: number;
  grpcPort: number;
  description: string;
  /**
   * Services that should be ready before this one starts (it calls them, or needs their data at
   * start). Consumers of durable streams do not list their producers: a stream waits for them.
   */
  dependsOn: readonly ServiceName[];
  /** Tables this service owns (writes). */
  owns: readonly string[];
  /**
   * Node flags the service runs with (NODE_OPTIONS). A heap cap keeps V8 from letting garbage
   * pile up in old space far above the live set, which is what RSS budgets are about.
   */
  nodeOptions: string;
  /**
   * Peers this service dials over gRPC. Each becomes a `<PEER>_GRPC_ADDR` variable pointing at
   * the peer's service DNS name, and a NetworkPolicy flow from this service to the peer's gRPC port.
   */
  calls: readonly ServiceName[];
  /**
   * Services whose HTTP port (/health, /ready, /metrics) this one reads: a NetworkPolicy flow from
   * this service to each one's HTTP port. `'fleet'`: every other declared service.
   */
  readsHttp?: 'fleet' | readonly ServiceName[];
  /** Non-secret environment defaults for deployments (compose, Kubernetes, Helm). */
  env: Readonly<Record<string, string>>;
  /** Container resources. The memory limit leaves room above the heap cap in nodeOptions. */
  resources: ResourceSpec;
  /** Replica count. Stateful singletons (see their READMEs) must stay at 1. */
  replicas: number;
  /** Seconds the service may take to start (startupProbe budget: migrations, model loading, history). */
  startupSeconds: number;
  /**
   * A Secret only this service mounts, besides the fleet's shared one (least privilege: no other
   * workload references it). Referenced as optional: without it the service runs without those
   * variables (a service that requires them, such as the console, then exits at start saying which).
   */
  ownSecret?: OwnSecret;
}

export interface OwnSecret {
  /** Kubernetes Secret name; compose reads `.env.<name>` beside the compose file. */
  name: string;
  /** The variables it holds. Names only: values never live in the repository. */
  keys: readonly string[];
}

export interface ResourceSpec {
  requests: { cpu: string; memoryMi: number };
  limits: { cpu: string; memoryMi: number };
}

/** Probe paths every service serves (shared/src/http/app.ts). */
export const PROBES = { liveness: '/health', readiness: '/ready' } as const;

/** Datastores every service talks to, with the ports NetworkPolicies open. */
export const DATASTORES = { mysql: { host: 'mysql', port: 3306 }, redis: { host: 'redis', port: 6379 } } as const;

/**
 * Shutdown timing of every deployed service (the kit's SHUTDOWN_DRAIN_DELAY_MS, SHUTDOWN_GRACE_MS):
 * keep serving for 5 s after readiness turns false (endpoint removal takes 1-3 s to reach kube-proxy
 * and ingress controllers), then up to 10 s to finish in-flight work. The orchestrators' kill
 * deadlines (terminationGracePeriodSeconds, compose stop_grace_period) are derived from it.
 */
export const SHUTDOWN_TIMING = { drainDelayMs: 5_000, graceMs: 10_000 } as const;

/** Environment shared by every service in a deployment (non-secret). */
export const COMMON_ENV: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'info',
  NODE_ENV: 'production',
  SHUTDOWN_DRAIN_DELAY_MS: String(SHUTDOWN_TIMING.drainDelayMs),
  SHUTDOWN_GRACE_MS: String(SHUTDOWN_TIMING.graceMs),
  // Every service checks symbols against the same set, so it is declared for all of them at once.
  TRADABLE_SYMBOLS: DEFAULT_TRADABLE_SYMBOLS.join(','),
};

const SMALL: ResourceSpec = { requests: { cpu: '100m', memoryMi: 128 }, limits: { cpu: '1', memoryMi: 256 } };

export type ServiceName =
  | 'price-stream'
  | 'signal-generator'
  | 'signals-aggregator'
  | 'recommendations'
  | 'risk'
  | 'execution'
  | 'portfolio'
  | 'console';

export const SERVICES: Readonly<Record<ServiceName, ServiceDeclaration>> = {
  'price-stream': {
    httpPort: 8023,
    grpcPort: 9023,
    description: 'market data: replay/live sources, bar aggregation, price monitors',
    dependsOn: [],
    owns: ['crypto_prices', 'price_monitors', 'price_alerts'],
    // Live set with 1,000 symbols is ~15 MB; see make bench (peak RSS with and without the cap).
    nodeOptions: '--max-old-space-size=96',
    calls: [],
    env: { MARKET_SOURCE: 'replay' },
    // 96 MB heap cap + code, buffers and native allocations.
    resources: { requests: { cpu: '200m', memoryMi: 160 }, limits: { cpu: '1', memoryMi: 256 } },
    replicas: 1,
    startupSeconds: 60,
  },
  'signal-generator': {
    httpPort: 8025,
    grpcPort: 9025,
    description: 'features, XGBoost models, strategy agents, task engine',
    // price-stream's GetBars is only needed once bars flow, i.e. once price-stream runs.
    dependsOn: [],
    owns: ['ml_signals', 'agents', 'agent_logs', 'agent_tasks'],
    nodeOptions: '',
    calls: ['price-stream'],
    env: {},
    resources: { requests: { cpu: '200m', memoryMi: 256 }, limits: { cpu: '2', memoryMi: 512 } },
    replicas: 1,
    startupSeconds: 120,
  },
  'signals-aggregator': {
    httpPort: 8028,
    grpcPort: 9028,
    description: 'consensus across signal sources',
    dependsOn: [],
    owns: ['consensus_signals', 'aggregator_signals', 'source_stats'],
    nodeOptions: '',
    calls: [],
    env: {},
    resources: SMALL,
    // Singleton: consensus windows are in memory (services/signals-aggregator/README.md).
    replicas: 1,
    startupSeconds: 60,
  },
  recommendations: {
    httpPort: 8022,
    grpcPort: 9022,
    description: 'Kelly sizing of consensus signals',
    dependsOn: ['signals-aggregator', 'risk', 'execution', 'portfolio'],
    owns: ['trade_recommendations', 'recommendation_events'],
    nodeOptions: '',
    calls: ['signals-aggregator', 'risk', 'execution', 'portfolio', 'price-stream'],
    env: {},
    resources: SMALL,
    // One replica: two would both re-drive the same pending recommendations (services/recommendations/README.md).
    replicas: 1,
    startupSeconds: 60,
  },
  risk: {
    httpPort: 8027,
    grpcPort: 9027,
    description: 'risk limits, kill switch',
    dependsOn: ['portfolio'],
    owns: ['risk_events', 'risk_limits', 'trading_state'],
    nodeOptions: '',
    calls: ['portfolio'],
    env: {},
    resources: SMALL,
    // Singleton: the kill switch and exposure counters live in one process.
    replicas: 1,
    startupSeconds: 60,
  },
  execution: {
    httpPort: 8024,
    grpcPort: 9024,
    description: 'order management, paper and ccxt venues',
    // Not ready until it knows the trading state, which risk serves.
    dependsOn: ['risk'],
    owns: ['orders', 'trades', 'execution_outbox', 'execution_trading_state'],
    nodeOptions: '',
    calls: ['risk'],
    env: { TRADING_MODE: 'mock' },
    resources: SMALL,
    // Singleton: one outbox relay and one mock venue order book.
    replicas: 1,
    startupSeconds: 60,
    // TRADING_MODE=live: venue keys and the acknowledgement (services/execution/README.md, Live venues).
    ownSecret: {
      name: 'cte-venue-keys',
      keys: [
        'BINANCEUS_API_KEY',
        'BINANCEUS_API_SECRET',
        'COINBASE_API_KEY',
        'COINBASE_API_SECRET',
        'KUCOIN_API_KEY',
        'KUCOIN_API_SECRET',
        'KUCOIN_API_PASSPHRASE',
        'LIVE_TRADING_ACK',
      ],
    },
  },
  portfolio: {
    httpPort: 8026,
    grpcPort: 9026,
    description: 'positions, cash, PnL',
    dependsOn: [],
    owns: ['portfolio_positions', 'portfolio_snapshots', 'balances', 'applied_fills', 'portfolio_state'],
    nodeOptions: '',
    // execution: GetVenueBalances for the venue reconciliation.
    calls: ['recommendations', 'execution'],
    env: {},
    resources: SMALL,
    // Singleton: applies fills in order from one consumer.
    replicas: 1,
    startupSeconds: 60,
  },
  console: {
    httpPort: 8029,
    grpcPort: 9029,
    description: 'operator console at /dashboard: sign-in, roles, live views, audited actions',
    // Starts without the others: it shows an absent service as unreachable.
    dependsOn: [],
    owns: ['console_audit'],
    nodeOptions: '',
    // It calls these on the operator's behalf (the browser never holds the API key).
    calls: ['price-stream', 'risk', 'execution', 'portfolio'],
    // Its Fleet and System views read every service's /health, /ready and /metrics, by service name.
    readsHttp: 'fleet',
    env: { CONSOLE_PEER_HOSTS: 'service-name' },
    resources: SMALL,
    // Stateless apart from each replica's SSE connections; sessions are signed tokens.
    replicas: 1,
    startupSeconds: 30,
    // Required: it exits at start without its operators and session key (services/console/README.md).
    ownSecret: { name: 'cte-console-operators', keys: ['CONSOLE_OPERATORS', 'CONSOLE_SESSION_SECRET'] },
  },
};

/**
 * Services that run only in a sandbox: the compose profile `sandbox`, the k8s/overlays/sandbox
 * overlay and `make sandbox`, never in production. They are not in SERVICES: they have no
 * database, bus or gRPC, and no production service depends on them.
 */
export type SandboxServiceName = 'venue-emulator';

/** A production service that talks to a sandbox service while it runs in the sandbox. */
export interface SandboxClient {
  /** Plain environment the client gets in the sandbox. */
  env: Readonly<Record<string, string>>;
  /** Environment variables set to `http://<sandbox service address>:<port>`, by port name. */
  urls: Readonly<Record<string, string>>;
}

export interface SandboxServiceDeclaration {
  /** The kit's port: /health, /ready, /metrics and the service's admin API. */
  httpPort: number;
  /** Further ports by name (Kubernetes port names: at most 15 lowercase letters, digits, dashes). */
  ports: Readonly<Record<string, number>>;
  description: string;
  nodeOptions: string;
  /** Non-secret environment defaults in deployments (compose, Kubernetes). */
  env: Readonly<Record<string, string>>;
  resources: ResourceSpec;
  startupSeconds: number;
  /** The only services that may reach `ports` (a NetworkPolicy flow each), and how they are pointed here. */
  clients: Readonly<Partial<Record<ServiceName, SandboxClient>>>;
}

export const SANDBOX_SERVICES: Readonly<Record<SandboxServiceName, SandboxServiceDeclaration>> = {
  'venue-emulator': {
    httpPort: 8030,
    ports: { binanceus: 8031, coinbase: 8032, kucoin: 8033 },
    description: 'local venue: Binance.US, Coinbase and KuCoin public REST and WebSocket, replayed from real data',
    nodeOptions: '',
    // A long-running sandbox behaves like a live venue: the bundled BTC/USD hourly bars
    // (VENUE_EMULATOR_BARS, set by the deployments where they mount them) in real time from start,
    // looping. A faster loop would stamp its second lap ahead of the wall clock, and price-stream
    // rejects trades from the future; `make sandbox` replays fast once instead (scripts/demo.sh).
    env: { VENUE_EMULATOR_SPEED: '1', VENUE_EMULATOR_LOOP: 'true', VENUE_EMULATOR_REBASE: 'start' },
    resources: SMALL,
    startupSeconds: 60,
    clients: {
      'price-stream': {
        env: { MARKET_SOURCE: 'ccxt', EXCHANGES: 'coinbase', SYMBOLS_COINBASE: 'BTC/USD' },
        urls: { VENUE_URL_BINANCEUS: 'binanceus', VENUE_URL_COINBASE: 'coinbase', VENUE_URL_KUCOIN: 'kucoin' },
      },
    },
  },
};

/** The environment that points `client` at sandbox service `name` reachable at `host`. */
export function sandboxClientEnv(name: SandboxServiceName, client: ServiceName, host: string): Record<string, string> {
  const decl = SANDBOX_SERVICES[name];
  const c = decl.clients[client];
  if (!c) return {};
  const env: Record<string, string> = { ...c.env };
  for (const [variable, port] of Object.entries(c.urls)) {
    const p = decl.ports[port];
    if (p === undefined) throw new Error(`${name}: client ${client} names unknown port ${port}`);
    env[variable] = `http://${host}:${p}`;
  }
  return env;
}
