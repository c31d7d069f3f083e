// The signal engine (pure, no I/O): feature pipeline, XGBoost models, strategy agents, training
// rows. `@cte/signal-generator/engine`; imports only `@cte/shared/core` (and trading-signals).
export * from './features';
export * from './xgboost';
export * from './models';
export * from './strategies';
export * from './training/dataset';
