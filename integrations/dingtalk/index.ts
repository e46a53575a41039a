export * from './callback-crypto';
export * from './callbacks';
export * from './client';
export * from './errors';
export * from './limiter';
export * from './stream';
export * from './usage';
