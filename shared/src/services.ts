/**
 * The one declaration of the fleet. Ports, dependencies and environment of
 * every service are declared here; the fleet runner, compose file, Kubernetes
 * manifests and Helm values are generated from it.
 */
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
}

export type ServiceName =
  | 'price-stream'
  | 'signal-generator'
  | 'signals-aggregator'
  | 'recommendations'
  | 'risk'
  | 'execution'
  | 'portfolio';

export const SERVICES: Readonly<Record<ServiceName, ServiceDeclaration>> = {
  'price-stream': {
    httpPort: 8023,
    grpcPort: 9023,
    description: 'market data: replay/live sources, bar aggregation, price monitors',
    dependsOn: [],
    owns: ['crypto_prices', 'price_monitors', 'price_alerts'],
    // Live set with 1,000 symbols is ~15 MB; see make bench (peak RSS with and without the cap).
    nodeOptions: '--max-old-space-size=96',
  },
  'signal-generator': {
    httpPort: 8025,
    grpcPort: 9025,
    description: 'features, XGBoost models, strategy agents, task engine',
    // price-stream's GetBars is only needed once bars flow, i.e. once price-stream runs.
    dependsOn: [],
    owns: ['ml_signals', 'agents', 'agent_logs', 'agent_tasks'],
    nodeOptions: '',
  },
  'signals-aggregator': {
    httpPort: 8028,
    grpcPort: 9028,
    description: 'consensus across signal sources',
    dependsOn: [],
    owns: ['consensus_signals', 'aggregator_signals', 'source_stats'],
    nodeOptions: '',
  },
  recommendations: {
    httpPort: 8022,
    grpcPort: 9022,
    description: 'Kelly sizing of consensus signals',
    dependsOn: ['signals-aggregator', 'risk', 'execution', 'portfolio'],
    owns: ['trade_recommendations', 'recommendation_events'],
    nodeOptions: '',
  },
  risk: {
    httpPort: 8027,
    grpcPort: 9027,
    description: 'risk limits, kill switch',
    dependsOn: ['portfolio'],
    owns: ['risk_events', 'risk_limits', 'trading_state'],
    nodeOptions: '',
  },
  execution: {
    httpPort: 8024,
    grpcPort: 9024,
    description: 'order management, paper and ccxt venues',
    // Not ready until it knows the trading state, which risk serves.
    dependsOn: ['risk'],
    owns: ['orders', 'trades', 'execution_outbox', 'execution_trading_state'],
    nodeOptions: '',
  },
  portfolio: {
    httpPort: 8026,
    grpcPort: 9026,
    description: 'positions, cash, PnL',
    dependsOn: [],
    owns: ['portfolio_positions', 'portfolio_snapshots', 'balances', 'applied_fills', 'portfolio_state'],
    nodeOptions: '',
  },
};
