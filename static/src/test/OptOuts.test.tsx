import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import { useLocation } from 'react-router';
import OptOutsPage, { csvHasPhoneColumn, parsePhones } from '../pages/OptOutsPage';
import { setApiKey } from '../api';
import App from '../App';
import { makeQueryClient } from '../lib/queryClient';
import { mockApi, renderAsUser, type MockCall } from './helpers';

function Location() {
  const l = useLocation();
  return <output data-testid="location">{l.pathname + l.search}</output>;
}

const params = (c: MockCall) => new URL(c.url, 'http://x').searchParams;
const listCalls = (calls: MockCall[]) => calls.filter((c) => c.method === 'GET' && c.url.startsWith('/api/opt-outs?'));

const optOut = (phone: string, over: Record<string, unknown> = {}) => ({
  phone,
  source: 'sms',
  keyword: 'STOP',
  created_at: '2026-03-04T09:30:00+00:00',
  lead_id: null,
  lead_name: null,
  ...over,
});

// the first page: 50 phones, the last one +14155550199 (next_after); the second page: one more
const FIRST = [
  optOut('+14155550123', { lead_id: 12, lead_name: 'Ada' }),
  optOut('+14155550150', { source: 'reply', keyword: null }),
  optOut('+14155550160', { source: 'manual', keyword: null }),
  optOut('+14155550170', { source: 'import', keyword: null }),
  ...Array.from({ length: 45 }, (_, i) => optOut(`+1415555${1000 + i}`, { source: 'sms', keyword: 'UNSUBSCRIBE' })),
  optOut('+14155550199', { source: 'carrier', keyword: null }),
];
const SECOND = [optOut('+14155550200', { source: 'dnc_registry', keyword: null })];

const me = (role: string) => ({ id: 1, name: 'Key 1', role, key_prefix: 'smc_00000001', expires_at: null, revoked_at: null, auth: true });

/** The opt-out routes: two pages (5 + 1 phones, by `after`), a search for "ada", add, import, remove, export. */
function optOutsServer({ role = 'admin', first }: { role?: string; first?: (c: MockCall) => ReturnType<Parameters<typeof mockApi>[0]> } = {}) {
  return mockApi((c) => {
    const r = first?.(c);
    if (r) return r;
    if (c.url === '/api/keys/me') return { status: 200, json: me(role) };
    if (c.method === 'GET' && c.url.startsWith('/api/opt-outs/export'))
      return { status: 200, text: 'phone,source,keyword,created_at\n+14155550123,sms,STOP,2026-03-04T09:30:00+00:00\n', headers: { 'Content-Type': 'text/csv' } };
    if (c.method === 'GET' && c.url.startsWith('/api/opt-outs')) {
      const p = params(c);
      if (p.get('q') === 'ada') return { status: 200, json: { items: [FIRST[0]], total: 1, limit: 50, next_after: null } };
      if (p.get('after') === '+14155550199') return { status: 200, json: { items: SECOND, total: 51, limit: 50, next_after: null } };
      return { status: 200, json: { items: FIRST, total: 51, limit: 50, next_after: '+14155550199' } };
    }
    if (c.method === 'POST' && c.url.startsWith('/api/opt-outs')) {
      if (c.headers['Content-Type'] === 'text/csv')
        return { status: 200, json: { added: 1, already: 0, rejected: [{ row: 2, phone: '555', detail: 'phone must include the country code' }] } };
      return { status: 200, json: { added: 2, already: 1, rejected: [{ index: 3, phone: 'abc', detail: 'phone must include the country code' }] } };
    }
    if (c.method === 'DELETE' && c.url.startsWith('/api/opt-outs/')) return { status: 204 };
    return undefined;
  });
}

function renderPage(route = '/opt-outs') {
  return renderAsUser(
    <>
      <OptOutsPage />
      <Location />
    </>,
    { route },
  );
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('opt-out helpers', () => {
  it('reads one phone a line, blank lines left out', () => {
    expect(parsePhones(' +1 415 555 0123 \r\n\n+14155550124\n  \nabc')).toEqual(['+1 415 555 0123', '+14155550124', 'abc']);
  });
  it('finds the phone column of a CSV header', () => {
    expect(csvHasPhoneColumn('\uFEFFname,"Phone"\nAda,+14155550123')).toBe(true);
    expect(csvHasPhoneColumn('name,mobile\nAda,+14155550123')).toBe(false);
  });
});

describe('Opt-outs page', () => {
  it('lists the phones with their lead, how and when, and the total', async () => {
    optOutsServer();
    renderPage();
    expect(screen.getByRole('heading', { level: 1, name: 'Opt-outs' })).toBeInTheDocument();
    expect(screen.getByText(/Opting out is global across campaigns\./)).toBeInTheDocument();
    const table = await screen.findByTestId('optouts-table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(50);
    expect(within(rows[0]).getByText('+14155550123')).toHaveClass('font-mono');
    expect(within(rows[0]).getByRole('link', { name: 'Ada' })).toHaveAttribute('href', '/leads?q=%2B14155550123');
    expect(rows[0]).toHaveTextContent('Replied STOP');
    expect(within(rows[0]).getByTestId('optout-keyword')).toHaveTextContent('STOP');
    expect(rows[0]).toHaveTextContent('Mar 4, 2026');
    expect(rows[1]).toHaveTextContent('Asked to stop');
    expect(within(rows[1]).queryByRole('link')).toBeNull();
    expect(rows[2]).toHaveTextContent('By hand');
    expect(rows[3]).toHaveTextContent('Imported');
    expect(rows[4]).toHaveTextContent('UNSUBSCRIBE');
    expect(rows[49]).toHaveTextContent('Carrier');
    expect(screen.getByTestId('optouts-total')).toHaveTextContent('51 phones in total');
    expect(screen.getByText('1–50 of 51 opt-outs')).toBeInTheDocument();
  });

  it('searches, and pages on with after= (the last phone) and back', async () => {
    const { calls } = optOutsServer();
    const { user } = renderPage();
    await screen.findByTestId('optouts-table');
    expect(params(listCalls(calls).at(-1)!).get('after')).toBeNull();
    expect(params(listCalls(calls).at(-1)!).get('limit')).toBe('50');
    expect(screen.getByRole('button', { name: 'Previous' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(params(listCalls(calls).at(-1)!).get('after')).toBe('+14155550199'));
    expect(await screen.findByText('+14155550200')).toBeInTheDocument();
    expect(screen.getByText('dnc_registry')).toBeInTheDocument(); // a source the UI does not know, as it is
    expect(screen.getByText('51–51 of 51 opt-outs')).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/opt-outs?after=%2B14155550199');
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Previous' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/opt-outs$/));
    expect(await screen.findByText('+14155550123')).toBeInTheDocument();

    // a new search starts from the first page
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('after='));
    await user.type(screen.getByLabelText('Search opt-outs'), 'ada');
    await waitFor(() => expect(params(listCalls(calls).at(-1)!).get('q')).toBe('ada'));
    expect(params(listCalls(calls).at(-1)!).get('after')).toBeNull();
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/opt-outs\?q=ada$/);
    await waitFor(() => expect(within(screen.getByTestId('optouts-table')).getAllByRole('row')).toHaveLength(2));
    expect(screen.getByTestId('optouts-total')).toHaveTextContent('1 phone matching');
  });

  it('adds phones by hand as JSON and lists the rejected ones', async () => {
    const { calls } = optOutsServer();
    const { user } = renderPage();
    await screen.findByTestId('optouts-table');
    await user.click(screen.getByRole('button', { name: 'Add phones' }));
    const dialog = screen.getByRole('dialog', { name: 'Add phones to the opt-outs' });
    const box = within(dialog).getByLabelText('Phones, one per line');
    expect(box).toHaveFocus();
    await user.type(box, '+1 415 555 0123{Enter}+14155550124{Enter}{Enter}+14155550125{Enter}abc');
    await user.click(within(dialog).getByRole('button', { name: 'Add 4 phones' }));

    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.url).toBe('/api/opt-outs');
    expect(post.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(post.body!)).toEqual({ phones: ['+1 415 555 0123', '+14155550124', '+14155550125', 'abc'], source: 'manual' });

    const result = await within(dialog).findByTestId('optout-result');
    expect(within(result).getByRole('heading', { name: '2 phones added to the opt-outs' })).toHaveFocus();
    expect(within(result).getByTestId('optout-added')).toHaveTextContent('2');
    expect(within(result).getByTestId('optout-already')).toHaveTextContent('1');
    expect(within(result).getByTestId('optout-rejected')).toHaveTextContent('1');
    const rejected = within(result).getByRole('table', { name: 'Rejected phones' });
    const row = within(rejected).getAllByRole('row')[1];
    expect(row).toHaveTextContent('abc');
    expect(row).toHaveTextContent('phone must include the country code');
    // the list is asked again
    await waitFor(() => expect(listCalls(calls).length).toBeGreaterThan(1));

    await user.click(within(dialog).getByRole('button', { name: 'Add more' }));
    expect(within(dialog).getByLabelText('Phones, one per line')).toHaveFocus();
    expect(within(dialog).getByLabelText('Phones, one per line')).toHaveValue('');
  });

  it('shows the 422 of an empty or refused list next to the box', async () => {
    optOutsServer({
      first: (c) =>
        c.method === 'POST' ? { status: 422, json: { detail: [{ loc: ['body', 'phones'], msg: 'at most 10000 phones at a time', type: 'value_error' }] } } : undefined,
    });
    const { user } = renderPage();
    await screen.findByTestId('optouts-table');
    await user.click(screen.getByRole('button', { name: 'Add phones' }));
    const dialog = screen.getByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Add phone' }));
    expect(within(dialog).getByText('Enter at least one phone.')).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText('Phones, one per line'), '+14155550123');
    await user.click(within(dialog).getByRole('button', { name: 'Add phone' }));
    expect(await within(dialog).findByText('at most 10000 phones at a time')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('Phones, one per line')).toHaveAttribute('aria-invalid', 'true');
  });

  it('imports a CSV file as text/csv with ?source=import and shows the rejected rows', async () => {
    const { calls } = optOutsServer();
    const { user } = renderPage();
    await screen.findByTestId('optouts-table');
    await user.click(screen.getByRole('button', { name: 'Import CSV' }));
    const dialog = screen.getByRole('dialog', { name: 'Import opt-outs from CSV' });
    const csv = 'phone,name\n+14155550123,Ada\n555,Bob\n';
    await user.upload(within(dialog).getByLabelText('CSV file'), new File([csv], 'stop.csv', { type: 'text/csv' }));
    await user.click(await within(dialog).findByRole('button', { name: 'Import 2 rows' }));

    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.url).toBe('/api/opt-outs?source=import');
    expect(post.headers['Content-Type']).toBe('text/csv');
    expect(post.body).toBe(csv);
    const rejected = await within(dialog).findByRole('table', { name: 'Rejected rows' });
    const row = within(rejected).getAllByRole('row')[1];
    expect(row).toHaveTextContent('2');
    expect(row).toHaveTextContent('555');
  });

  it('refuses a CSV without a phone column before sending it', async () => {
    const { calls } = optOutsServer();
    const { user } = renderPage();
    await screen.findByTestId('optouts-table');
    await user.click(screen.getByRole('button', { name: 'Import CSV' }));
    const dialog = screen.getByRole('dialog');
    await user.upload(within(dialog).getByLabelText('CSV file'), new File(['mobile\n+14155550123\n'], 'x.csv', { type: 'text/csv' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('x.csv has no phone column');
    expect(within(dialog).getByRole('button', { name: 'Import' })).toBeDisabled();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('offers Remove to admin keys only', async () => {
    optOutsServer({ role: 'operator' });
    const { qc } = renderPage();
    const table = await screen.findByTestId('optouts-table');
    // once the key's role is known: no Remove anywhere
    await waitFor(() => expect(qc.getQueryData(['keys', 'me'])).toMatchObject({ role: 'operator' }));
    await act(() => new Promise((r) => setTimeout(r, 0)));
    expect(within(table).queryByRole('button', { name: /Remove/ })).toBeNull();
    expect(within(table).queryByRole('columnheader', { name: 'Actions' })).toBeNull();
  });

  it('removes a phone after a confirmation, with DELETE and the phone URL-encoded', async () => {
    const { calls } = optOutsServer({ role: 'admin' });
    const { user } = renderPage();
    const table = await screen.findByTestId('optouts-table');
    await user.click(await within(table).findByRole('button', { name: 'Remove +14155550123' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove +14155550123 from the opt-outs?' });
    expect(dialog).toHaveTextContent('+14155550123 (Ada) will receive messages again');
    expect(within(dialog).getByRole('button', { name: 'Keep it' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Remove from the list' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE')).toBe(true));
    expect(calls.find((c) => c.method === 'DELETE')!.url).toBe('/api/opt-outs/%2B14155550123');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await screen.findByText('Removed +14155550123: it will receive messages again')).toBeInTheDocument();
  });

  it('shows a refused removal (404: not on the list any more) in the dialog', async () => {
    optOutsServer({ first: (c) => (c.method === 'DELETE' ? { status: 404, json: { detail: 'Phone is not on the suppression list' } } : undefined) });
    const { user } = renderPage();
    const table = await screen.findByTestId('optouts-table');
    await user.click(await within(table).findByRole('button', { name: 'Remove +14155550150' }));
    await user.click(screen.getByRole('button', { name: 'Remove from the list' }));
    expect(await within(screen.getByRole('dialog')).findByRole('alert')).toHaveTextContent('Not found: Phone is not on the suppression list');
  });

  it('exports the list: GET /api/opt-outs/export with the API key, saved as opt-outs.csv', async () => {
    setApiKey('smc_test_key');
    const { calls } = optOutsServer();
    const blobs: Blob[] = [];
    const createObjectURL = vi.fn((b: Blob) => {
      blobs.push(b);
      return 'blob:opt-outs';
    });
    const revokeObjectURL = vi.fn();
    const saved = { createObjectURL: URL.createObjectURL, revokeObjectURL: URL.revokeObjectURL };
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    onTestFinished(() => void Object.assign(URL, saved));
    const clicked: { href: string; download: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });

    const { user } = renderPage();
    await screen.findByTestId('optouts-table');
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(clicked).toHaveLength(1));
    const call = calls.find((c) => c.url === '/api/opt-outs/export')!;
    expect(call.method).toBe('GET');
    expect(call.headers.Authorization).toBe('Bearer smc_test_key');
    expect(clicked[0]).toEqual({ href: 'blob:opt-outs', download: 'opt-outs.csv' });
    expect(await blobs[0].text()).toBe('phone,source,keyword,created_at\n+14155550123,sms,STOP,2026-03-04T09:30:00+00:00\n');
    await waitFor(() => expect(revokeObjectURL).toHaveBeenCalledWith('blob:opt-outs'));
    expect(await screen.findByText('Downloaded opt-outs.csv')).toBeInTheDocument();
  });

  it('says so when the export fails', async () => {
    optOutsServer({ first: (c) => (c.url === '/api/opt-outs/export' ? { status: 403, json: { detail: 'This key may not export' } } : undefined) });
    const { user } = renderPage();
    await screen.findByTestId('optouts-table');
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(await screen.findByText('Export failed: Not allowed: This key may not export')).toBeInTheDocument();
  });

  it('says the feature is not there yet when the server has no such route', async () => {
    mockApi((c) => (c.url === '/api/keys/me' ? { status: 200, json: me('admin') } : undefined));
    renderPage();
    expect(await screen.findByTestId('not-available')).toHaveTextContent("Opt-outs isn't available on this server yet.");
  });
});

describe('Opt-outs in the app', () => {
  it('has a nav link after Leads and its own route and title', async () => {
    optOutsServer({ first: (c) => (c.url.startsWith('/api/health') ? { status: 200, json: { status: 'ok', database: 'ok' } } : undefined) });
    window.history.pushState({}, '', '/opt-outs');
    render(<App queryClient={makeQueryClient()} />);
    const nav = screen.getAllByRole('navigation', { name: 'Main' })[0];
    const labels = within(nav).getAllByRole('link').map((a) => a.textContent);
    expect(labels.indexOf('Opt-outs')).toBe(labels.indexOf('Leads') + 1);
    expect(within(nav).getByRole('link', { name: 'Opt-outs' })).toHaveAttribute('href', '/opt-outs');
    expect(await screen.findByTestId('optouts-table')).toBeInTheDocument();
    expect(document.title).toBe('Opt-outs · smscamp');
    window.history.pushState({}, '', '/');
  });
});
