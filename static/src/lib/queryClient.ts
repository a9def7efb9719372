import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api';

/** Retry only what may succeed on a second try: network errors and 5xx, never a 4xx. */
export function shouldRetry(count: number, error: unknown): boolean {
  if (error instanceof ApiError && (error.status === 0 || error.status >= 500)) return count < 2;
  return false;
}

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: shouldRetry,
        retryDelay: (n) => Math.min(1000 * 2 ** n, 8000),
        staleTime: 2_000,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
}
