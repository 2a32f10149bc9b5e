/** Training's pure parts (no tfjs): schedules, batch order, augmentation, bookkeeping. */
export * from './schedule';
export * from './data';
export * from './tally';
