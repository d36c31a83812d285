// Retry policy shared by coordinator and workers. A crashed worker's job is
// noticed when its lock runs out (LOCK_MS, renewed every LOCK_MS/2 while the
// worker lives) and retried with exponential backoff, ATTEMPTS times at most.
export const LOCK_MS = 30_000;
export const STALLED_MS = 30_000;
export const ATTEMPTS = 3;
export const BACKOFF_MS = 2_000;
