export * from './coordinator.ts';
export * from './errors.ts';
export * from './gid.ts';
export * from './local-participant.ts';
export * from './log-table.ts';
export * from './participant.ts';
export * from './support.ts';
export * from './one-phase.ts';
