import { describe, expect, it, vi } from 'vitest';
import { api, ApiError, errorMessage, fieldOf, onUnauthorized, setApiKey, buildUrl } from '../api';
import { mockApi } from './helpers';

describe('fieldOf', () => {
  it('reads the field name out of a FastAPI loc', () => {
    expect(fieldOf(['body', 'phone'])).toBe('phone');
    expect(fieldOf(['query', 'limit'])).toBe('limit');
    expect(fieldOf(['path', 'id'])).toBe('id');
    expect(fieldOf(['body', 3, 'email'])).toBe('email');
    expect(fieldOf(['body'])).toBeNull();
    expect(fieldOf([])).toBeNull();
  });
});

describe('ApiError', () => {
  it('parses a FastAPI 422 into messages per field', () => {
    const e = new ApiError(422, {
      detail: [
        { loc: ['body', 'phone'], msg: 'Phone number must include a country code', type: 'value_error' },
        { loc: ['body', 'name'], msg: 'Field required', type: 'missing' },
      ],
    });
    expect(e.status).toBe(422);
    expect(e.isValidation).toBe(true);
    expect(e.fieldErrors).toEqual({ phone: 'Phone number must include a country code', name: 'Field required' });
    expect(e.detail).toContain('phone: Phone number must include a country code');
    expect(e.notAvailable).toBe(false);
  });

  it('keeps a plain detail string', () => {
    const e = new ApiError(409, { detail: 'A lead with phone +14155550123 already exists' });
    expect(e.detail).toBe('A lead with phone +14155550123 already exists');
    expect(errorMessage(e)).toBe('Conflict: A lead with phone +14155550123 already exists');
    expect(e.fieldErrors).toEqual({});
  });

  it('tells a missing route (404 Not Found) from a missing record', () => {
    expect(new ApiError(404, { detail: 'Not Found' }).notAvailable).toBe(true);
    expect(new ApiError(404, { detail: 'Campaign 7 not found' }).notAvailable).toBe(false);
  });

  it('falls back to the status title for bodies that are not JSON', () => {
    const e = new ApiError(503, undefined);
    expect(e.detail).toBe('Service unavailable');
    expect(errorMessage(e)).toBe('Service unavailable');
  });
});

describe('request', () => {
  it('returns parsed JSON and builds the query string', async () => {
    const { calls } = mockApi(() => ({ status: 200, json: { items: [], total: 0, limit: 25, offset: 0 } }));
    const r = await api.listLeads({ q: 'a b', limit: 25, offset: 0 });
    expect(r.total).toBe(0);
    expect(calls[0].url).toBe('/api/leads?q=a+b&limit=25&offset=0');
    expect(buildUrl('/x', { a: '', b: undefined, c: 0 })).toBe('/x?c=0');
  });

  it('throws ApiError with the 422 field messages', async () => {
    mockApi(() => ({ status: 422, json: { detail: [{ loc: ['body', 'phone'], msg: 'bad phone', type: 'value_error' }] } }));
    const err = await api.createLead({ name: 'x', phone: '1' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.fieldErrors.phone).toBe('bad phone');
  });

  it('turns an HTML error page into a clear message', async () => {
    mockApi(() => ({ status: 502, text: '<html>Bad Gateway</html>' }));
    const err: ApiError = await api.health().catch((e) => e);
    expect(err.status).toBe(502);
    expect(err.detail).toBe('Bad gateway');
  });

  it('reports a network failure as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const err: ApiError = await api.health().catch((e) => e);
    expect(err.status).toBe(0);
    expect(errorMessage(err)).toMatch(/Cannot reach the server/);
  });

  it('answers 204 with undefined', async () => {
    mockApi(() => ({ status: 204 }));
    await expect(api.deleteLead(3)).resolves.toBeUndefined();
  });

  it('sends the CSV as text/csv', async () => {
    const { calls } = mockApi(() => ({ status: 200, json: { inserted: 1, updated: 0, rejected: [] } }));
    await api.importLeadsCsv('name,phone\nA,+14155550100\n');
    expect(calls[0].method).toBe('POST');
    expect(calls[0].headers['Content-Type']).toBe('text/csv');
    expect(calls[0].body).toContain('name,phone');
  });

  it('sends the API key from sessionStorage and tells listeners about a 401', async () => {
    const { calls } = mockApi(() => ({ status: 401, json: { detail: 'Missing or invalid API key' } }));
    const seen: ApiError[] = [];
    const off = onUnauthorized((e) => seen.push(e));
    await api.health().catch(() => undefined);
    expect(calls[0].headers.Authorization).toBeUndefined();
    setApiKey('s3cret');
    await api.health().catch(() => undefined);
    expect(calls[1].headers.Authorization).toBe('Bearer s3cret');
    expect(seen).toHaveLength(2);
    expect(seen[0].title).toBe('API key required');
    off();
  });
});
