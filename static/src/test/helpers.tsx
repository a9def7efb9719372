import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import { vi } from 'vitest';
import { ToastProvider } from '../components/toast';

export interface MockCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

type Handler = (call: MockCall) => { status: number; json?: unknown; text?: string; headers?: Record<string, string> } | undefined;

/** Replace fetch with a router of handlers; unmatched requests get the module's 404 "Not Found". */
export function mockApi(handler: Handler) {
  const calls: MockCall[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const call: MockCall = {
      method: (init?.method ?? 'GET').toUpperCase(),
      url: String(input),
      headers: Object.fromEntries(Object.entries((init?.headers as Record<string, string>) ?? {})),
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    calls.push(call);
    const r = handler(call) ?? { status: 404, json: { detail: 'Not Found' } };
    const body = r.status === 204 ? null : r.text ?? JSON.stringify(r.json ?? null);
    return new Response(body, {
      status: r.status,
      headers: { 'Content-Type': r.text !== undefined ? 'text/html' : 'application/json', ...(r.headers ?? {}) },
    });
  });
  vi.stubGlobal('fetch', fn);
  return { calls, fn };
}

export function renderWithProviders(ui: ReactElement, { route = '/' }: { route?: string } = {}) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 0 }, mutations: { retry: false } } });
  const utils = render(
    <QueryClientProvider client={qc}>
      <ToastProvider>
        <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
      </ToastProvider>
    </QueryClientProvider>,
  );
  return { ...utils, qc };
}

export const page = <T,>(items: T[], total = items.length, limit = 50, offset = 0) => ({ items, total, limit, offset });

export const lead = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  name: `Lead ${id}`,
  phone: `+1415555${String(id).padStart(4, '0')}`,
  email: null,
  company: null,
  notes: null,
  created_at: '2026-01-01T10:00:00+00:00',
  updated_at: null,
  ...over,
});

export const campaign = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  name: `Campaign ${id}`,
  description: null,
  agent_type: 'sms',
  status: 'draft',
  sms_system_prompt: 'Be nice',
  sms_temperature: 70,
  stats: { pending: 3, sent: 1, failed: 0, total: 4, total_messages_sent: 1, total_messages_failed: 0, total_segments: 1, total_cost: 0.0079 },
  created_at: '2026-01-01T10:00:00+00:00',
  updated_at: null,
  started_at: null,
  completed_at: null,
  scheduled_at: null,
  ...over,
});
