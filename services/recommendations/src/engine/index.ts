export * from './state-machine';
export * from './orders';
export * from './atr';
export * from './kelly-sizer';
export * from './consensus';
