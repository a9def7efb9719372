import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, setApiKey } from '../api';
import { retryDelay, shouldRetry } from '../lib/queryClient';
import { mockApi } from './helpers';

afterEach(() => vi.unstubAllGlobals());

describe('rate limits (429)', () => {
  it('keeps the Retry-After of a 429 on the error', async () => {
    setApiKey('smc_' + '0'.repeat(64));
    mockApi(() => ({ status: 429, json: { detail: 'Too many requests' }, headers: { 'Retry-After': '3' } }));
    const e = await api.health().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(429);
    expect((e as ApiError).retryAfter).toBe(3);
  });

  it('retries a 429 a few times, waiting what the server said (at most 30 s)', () => {
    const e = new ApiError(429, { detail: 'Too many requests' });
    e.retryAfter = 2;
    expect(shouldRetry(0, e)).toBe(true);
    expect(shouldRetry(2, e)).toBe(true);
    expect(shouldRetry(3, e)).toBe(false);
    expect(retryDelay(0, e)).toBe(2000);
    e.retryAfter = 600;
    expect(retryDelay(0, e)).toBe(30000);
  });

  it('never retries other 4xx; backs off on 5xx', () => {
    expect(shouldRetry(0, new ApiError(422, {}))).toBe(false);
    expect(shouldRetry(0, new ApiError(403, {}))).toBe(false);
    expect(shouldRetry(0, new ApiError(503, {}))).toBe(true);
    expect(retryDelay(1, new ApiError(503, {}))).toBe(2000);
    expect(retryDelay(10, new ApiError(503, {}))).toBe(8000);
  });
});
