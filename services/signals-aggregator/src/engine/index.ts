export * from './consensus-engine';
export * from './track-record';
export * from './validation';
export * from './decimal';
export * from './bar-decider';
