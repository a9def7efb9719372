import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api';

/** Retry only what may succeed on a second try: network errors, 5xx and 429 (rate limited), never another 4xx. */
export function shouldRetry(count: number, error: unknown): boolean {
  if (error instanceof ApiError && (error.status === 0 || error.status >= 500)) return count < 2;
  if (error instanceof ApiError && error.status === 429) return count < 3;
  return false;
}

/** Wait what a 429 said (Retry-After, at most 30 s), else back off exponentially. */
export function retryDelay(attempt: number, error: unknown): number {
  if (error instanceof ApiError && error.status === 429 && error.retryAfter) {
    return Math.min(error.retryAfter, 30) * 1000;
  }
  return Math.min(1000 * 2 ** attempt, 8000);
}

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: shouldRetry,
        retryDelay,
        staleTime: 2_000,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
}
