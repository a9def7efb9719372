import type { ReactElement } from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { vi } from 'vitest';
import { ToastProvider } from '../components/toast';
import CampaignDetailPage from '../pages/CampaignDetailPage';

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

/** renderWithProviders, plus a userEvent session to drive it. */
export function renderAsUser(ui: ReactElement, opts: { route?: string } = {}) {
  const utils = renderWithProviders(ui, opts);
  return { ...utils, user: userEvent.setup() };
}

/** Render `ui` and upload `file` through the control labelled `label`. */
export async function renderAndUpload(ui: ReactElement, label: string, file: File) {
  const utils = renderAsUser(ui);
  await utils.user.upload(screen.getByLabelText(label), file);
  return utils;
}

/**
 * mockApi for the campaign detail page: `/api/campaigns/{id}` answers `detail` (a campaign), its
 * /leads and /logs answer pages of `leads` and `logs`; `first` is asked before them (e.g. an action).
 */
export function mockCampaignDetail(
  detail: { id: number },
  { leads = [], logs = [], first }: { leads?: unknown[]; logs?: unknown[]; first?: Handler } = {},
) {
  const base = `/api/campaigns/${detail.id}`;
  return mockApi((c) => {
    const r = first?.(c);
    if (r) return r;
    if (c.url === base) return { status: 200, json: detail };
    if (c.url.startsWith(`${base}/leads`)) return { status: 200, json: page(leads) };
    if (c.url.startsWith(`${base}/logs`)) return { status: 200, json: page(logs) };
    return undefined;
  });
}

/** The campaign detail page at /campaigns/:id, rendered for campaign `id`. */
export function renderCampaignDetail(id: number) {
  return renderWithProviders(
    <Routes>
      <Route path="/campaigns/:id" element={<CampaignDetailPage />} />
    </Routes>,
    { route: `/campaigns/${id}` },
  );
}

/** Render a form and type a new lead's name and phone (the fields labelled Name… and Phone…). */
export async function typeNewLead(ui: ReactElement, name: string, phone: string) {
  const { user } = renderAsUser(ui);
  await user.type(screen.getByLabelText(/^Name/), name);
  await user.type(screen.getByLabelText(/^Phone/), phone);
  return user;
}

export const page = <T,>(items: T[], total = items.length, limit = 50, offset = 0) => ({ items, total, limit, offset });

export const lead = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  name: `Lead ${id}`,
  phone: `+1415555${String(id).padStart(4, '0')}`,
  email: null,
  company: null,
  notes: null,
  attributes: {},
  opted_out: false,
  opted_out_at: null,
  opt_out_source: null,
  timezone: 'America/Los_Angeles',
  timezone_source: 'phone' as const,
  consent_at: null,
  consent_source: null,
  consent_text: null,
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
  sms_template: null,
  sender_name: null,
  sms_temperature: 70,
  stats: { pending: 3, sent: 1, failed: 0, total: 4, total_messages_sent: 1, total_messages_failed: 0, total_segments: 1, total_cost: 0.0079 },
  created_at: '2026-01-01T10:00:00+00:00',
  updated_at: null,
  started_at: null,
  completed_at: null,
  scheduled_at: null,
  ...over,
});

export const sender = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  name: null,
  label: `+1212555010${id}`,
  phone: `+1212555010${id}`,
  messaging_service_sid: null,
  kind: 'long_code',
  segments_per_second: 1,
  active: true,
  created_at: '2026-03-01T10:00:00+00:00',
  updated_at: null,
  ...over,
});
