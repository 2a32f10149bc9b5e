export * from './spec';
export * from './presets';
export * from './validate';
export * from './metrics';
export * from './graph';
export * from './summary';
export * from './units';
