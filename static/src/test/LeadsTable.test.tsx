import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router';
import LeadsPage, { nextSort, parseSort } from '../pages/LeadsPage';
import { campaign, lead, mockApi, page, renderWithProviders, type MockCall } from './helpers';

function Location() {
  const l = useLocation();
  return <output data-testid="location">{l.pathname + l.search}</output>;
}

const params = (c: MockCall) => new URL(c.url, 'http://x').searchParams;
const listCalls = (calls: MockCall[]) => calls.filter((c) => c.method === 'GET' && c.url.startsWith('/api/leads'));

/** A server with three leads; bulk and campaign routes answer as the real ones do. */
function leadsServer() {
  return mockApi((c) => {
    if (c.method === 'GET' && c.url.startsWith('/api/leads'))
      return { status: 200, json: page([lead(1, { email: 'ada.lovelace@analytical.example' }), lead(2), lead(3, { opted_out: true, opted_out_at: '2026-03-04T09:30:00+00:00', opt_out_source: 'manual' })], 3, 25) };
    if (c.method === 'POST' && c.url === '/api/leads/bulk') {
      const b = JSON.parse(c.body!);
      return { status: 200, json: { action: b.action, matched: b.lead_ids.length, changed: b.lead_ids.length, unknown_ids: [] } };
    }
    if (c.method === 'GET' && c.url.startsWith('/api/campaigns'))
      return { status: 200, json: page([campaign(5, { name: 'Spring sale' }), campaign(6, { name: 'Autumn' })]) };
    if (c.method === 'POST' && c.url === '/api/campaigns/5/leads')
      return { status: 200, json: { campaign_id: 5, matched: 2, added: 2, duplicates: 0, total_leads: 6 } };
    return undefined;
  });
}

describe('sort order helpers', () => {
  it('cycles ascending, descending, default', () => {
    expect(nextSort('id', 'name')).toBe('name');
    expect(nextSort('name', 'name')).toBe('-name');
    expect(nextSort('-name', 'name')).toBe('id');
    expect(nextSort('-name', 'phone')).toBe('phone');
  });
  it('reads ?sort= and ignores what the API would refuse', () => {
    expect(parseSort('-created_at')).toBe('-created_at');
    expect(parseSort('email')).toBe('id');
    expect(parseSort('--name')).toBe('id');
    expect(parseSort(null)).toBe('id');
  });
});

describe('Leads table: sorting', () => {
  it('sorts by a column from its header button, with aria-sort, and keeps the order in the URL', async () => {
    const { calls } = leadsServer();
    renderWithProviders(
      <>
        <LeadsPage />
        <Location />
      </>,
      { route: '/leads?q=ada&offset=25' },
    );
    const table = await screen.findByTestId('leads-table');
    const nameHeader = within(table).getByRole('columnheader', { name: /Name/ });
    expect(nameHeader).toHaveAttribute('aria-sort', 'none');
    expect(params(listCalls(calls).at(-1)!).get('sort')).toBeNull();

    await userEvent.click(within(nameHeader).getByRole('button', { name: /^Name/ }));
    await waitFor(() => expect(params(listCalls(calls).at(-1)!).get('sort')).toBe('name'));
    expect(nameHeader).toHaveAttribute('aria-sort', 'ascending');
    expect(screen.getByTestId('location')).toHaveTextContent('/leads?q=ada&sort=name'); // back to page 1, search kept
    expect(within(nameHeader).getByRole('button')).toHaveAccessibleName('Name, sort descending');

    await userEvent.click(within(nameHeader).getByRole('button'));
    await waitFor(() => expect(params(listCalls(calls).at(-1)!).get('sort')).toBe('-name'));
    expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
    expect(screen.getByTestId('location')).toHaveTextContent('sort=-name');

    await userEvent.click(within(nameHeader).getByRole('button'));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/leads\?q=ada$/));
    expect(nameHeader).toHaveAttribute('aria-sort', 'none');
  });

  it('opens in the order of the URL', async () => {
    const { calls } = leadsServer();
    renderWithProviders(<LeadsPage />, { route: '/leads?sort=-phone' });
    const table = await screen.findByTestId('leads-table');
    expect(within(table).getByRole('columnheader', { name: /Phone/ })).toHaveAttribute('aria-sort', 'descending');
    expect(params(listCalls(calls)[0]).get('sort')).toBe('-phone');
  });
});

describe('Leads table: keyset pages and estimated totals', () => {
  it('pages the default order with after=next_after, and says "about" for an estimated total', async () => {
    const { calls } = mockApi((c) => {
      if (c.method !== 'GET' || !c.url.startsWith('/api/leads')) return undefined;
      const after = params(c).get('after');
      const first = after === null;
      return {
        status: 200,
        json: {
          items: first ? [lead(1), lead(2)] : [lead(7)],
          total: 12000,
          total_is_estimate: true,
          limit: 50,
          offset: 0,
          has_more: first,
          next_after: first ? 2 : null,
        },
      };
    });
    renderWithProviders(
      <>
        <LeadsPage />
        <Location />
      </>,
      { route: '/leads?q=smith' },
    );
    await screen.findByTestId('leads-table');
    expect(screen.getByText('about 12,000 matching')).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Pagination' });
    expect(within(nav).getByText('1–2 of about 12,000 leads')).toBeInTheDocument();
    expect(params(listCalls(calls).at(-1)!).get('offset')).toBeNull();

    await userEvent.click(within(nav).getByRole('button', { name: /Next page/ }));
    await waitFor(() => expect(params(listCalls(calls).at(-1)!).get('after')).toBe('2'));
    expect(screen.getByTestId('location')).toHaveTextContent('/leads?q=smith&after=2');
    await waitFor(() => expect(within(screen.getByRole('navigation', { name: 'Pagination' })).getByText('26–26 of about 12,000 leads')).toBeInTheDocument());
    expect(within(screen.getByRole('navigation', { name: 'Pagination' })).getByRole('button', { name: /Next page/ })).toBeDisabled();

    await userEvent.click(within(screen.getByRole('navigation', { name: 'Pagination' })).getByRole('button', { name: /Previous/ }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/leads\?q=smith$/));
  });

  it('pages another order by offset', async () => {
    const { calls } = leadsServer();
    renderWithProviders(<LeadsPage />, { route: '/leads?sort=name&offset=50' });
    await screen.findByTestId('leads-table');
    expect(params(listCalls(calls).at(-1)!).get('offset')).toBe('50');
    expect(params(listCalls(calls).at(-1)!).get('after')).toBeNull();
  });
});

describe('Leads table: the opted-out filter', () => {
  it('asks for the opted-out leads only (opted_out=true), keeps the filter in the URL, and clears it', async () => {
    const { calls } = leadsServer();
    renderWithProviders(
      <>
        <LeadsPage />
        <Location />
      </>,
      { route: '/leads?q=ada&offset=25' },
    );
    await screen.findByTestId('leads-table');
    expect(params(listCalls(calls).at(-1)!).get('opted_out')).toBeNull();
    const filter = screen.getByRole('group', { name: 'Opted out' });
    expect(within(filter).getByRole('button', { name: 'All leads' })).toHaveAttribute('aria-pressed', 'true');

    await userEvent.click(within(filter).getByRole('button', { name: 'Opted out' }));
    await waitFor(() => expect(params(listCalls(calls).at(-1)!).get('opted_out')).toBe('true'));
    expect(params(listCalls(calls).at(-1)!).get('q')).toBe('ada');
    // back to the first page (the default order pages by keyset: neither offset nor after)
    expect(params(listCalls(calls).at(-1)!).get('offset')).toBeNull();
    expect(params(listCalls(calls).at(-1)!).get('after')).toBeNull();
    expect(within(filter).getByRole('button', { name: 'Opted out' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/leads\?q=ada&opted_out=true$/);

    await userEvent.click(within(filter).getByRole('button', { name: 'Subscribed' }));
    await waitFor(() => expect(params(listCalls(calls).at(-1)!).get('opted_out')).toBe('false'));

    await userEvent.click(within(filter).getByRole('button', { name: 'All leads' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/leads\?q=ada$/));
    expect(params(listCalls(calls).at(-1)!).get('opted_out')).toBeNull();
  });

  it('opens with the filter of the URL', async () => {
    const { calls } = leadsServer();
    renderWithProviders(<LeadsPage />, { route: '/leads?opted_out=true' });
    await screen.findByTestId('leads-table');
    expect(params(listCalls(calls)[0]).get('opted_out')).toBe('true');
    expect(within(screen.getByRole('group', { name: 'Opted out' })).getByRole('button', { name: 'Opted out' })).toHaveAttribute('aria-pressed', 'true');
  });
});

describe('Leads table: what a row shows', () => {
  it('shows opted-out leads with a badge dated in its title', async () => {
    leadsServer();
    renderWithProviders(<LeadsPage />, { route: '/leads' });
    const table = await screen.findByTestId('leads-table');
    const badge = within(within(table).getByRole('row', { name: /Lead 3/ })).getByText('Opted out');
    expect(badge.closest('[title]')?.getAttribute('title')).toMatch(/^Opted out Mar 4, 2026.*\(by hand\)$/);
  });

  it('lets e-mail addresses wrap only at @ and .', async () => {
    leadsServer();
    renderWithProviders(<LeadsPage />, { route: '/leads' });
    const email = await screen.findByTitle('ada.lovelace@analytical.example');
    expect(email.innerHTML).toBe('ada<wbr>.lovelace<wbr>@analytical<wbr>.example');
    expect(email.closest('td')?.className).not.toMatch(/overflow-wrap:anywhere/);
  });
});

describe('Leads table: bulk actions', () => {
  it('selects rows, shows the bar with the count, and opts them out after a confirmation', async () => {
    const { calls } = leadsServer();
    renderWithProviders(<LeadsPage />, { route: '/leads' });
    await screen.findByTestId('leads-table');
    expect(screen.queryByTestId('bulk-bar')).toBeNull();
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Lead 1' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Lead 2' }));
    const bar = screen.getByRole('region', { name: 'Selected leads' });
    expect(bar).toHaveTextContent('2 leads selected');
    const all = screen.getByRole('checkbox', { name: 'Select all on this page' }) as HTMLInputElement;
    expect(all.checked).toBe(false);
    expect(all.indeterminate).toBe(true);

    await userEvent.click(within(bar).getByRole('button', { name: 'Opt out' }));
    const dialog = screen.getByRole('dialog', { name: 'Opt out 2 leads?' });
    expect(dialog).toHaveTextContent('Lead 1, Lead 2');
    expect(calls.some((c) => c.url === '/api/leads/bulk')).toBe(false); // nothing before the confirmation
    await userEvent.click(within(dialog).getByRole('button', { name: 'Opt out 2 leads' }));
    await waitFor(() => expect(calls.some((c) => c.url === '/api/leads/bulk')).toBe(true));
    const post = calls.find((c) => c.url === '/api/leads/bulk')!;
    expect(JSON.parse(post.body!)).toEqual({ action: 'opt_out', lead_ids: [1, 2] });
    expect(await screen.findByText('Opted out 2 leads')).toBeInTheDocument();
    expect(screen.queryByTestId('bulk-bar')).toBeNull(); // the selection is done with
  });

  it('selects the whole page, and deletes only after the confirmation', async () => {
    const { calls } = leadsServer();
    renderWithProviders(<LeadsPage />, { route: '/leads' });
    await screen.findByTestId('leads-table');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select all on this page' }));
    expect(screen.getByTestId('bulk-count')).toHaveTextContent('3 leads selected');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Lead 2' }));
    expect(screen.getByTestId('bulk-count')).toHaveTextContent('2 leads selected');

    await userEvent.click(within(screen.getByTestId('bulk-bar')).getByRole('button', { name: 'Delete' }));
    let dialog = screen.getByRole('dialog', { name: 'Delete 2 leads?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls.some((c) => c.url === '/api/leads/bulk')).toBe(false);

    await userEvent.click(within(screen.getByTestId('bulk-bar')).getByRole('button', { name: 'Delete' }));
    dialog = screen.getByRole('dialog', { name: 'Delete 2 leads?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete 2 leads' }));
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/leads/bulk')).toHaveLength(1));
    expect(JSON.parse(calls.find((c) => c.url === '/api/leads/bulk')!.body!)).toEqual({ action: 'delete', lead_ids: [1, 3] });
    expect(await screen.findByText('Deleted 2 leads')).toBeInTheDocument();
  });

  it('adds the selected leads to a draft campaign picked from a list', async () => {
    const { calls } = leadsServer();
    renderWithProviders(<LeadsPage />, { route: '/leads' });
    await screen.findByTestId('leads-table');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Lead 1' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Lead 3' }));
    await userEvent.click(within(screen.getByTestId('bulk-bar')).getByRole('button', { name: 'Add to campaign' }));
    const dialog = screen.getByRole('dialog', { name: 'Add 2 leads to a campaign' });
    const add = within(dialog).getByRole('button', { name: 'Add to campaign' });
    expect(add).toBeDisabled();
    await userEvent.click(await within(dialog).findByRole('radio', { name: /Spring sale/ }));
    expect(within(dialog).getByText(/1 selected lead has opted out/)).toBeInTheDocument();
    expect(params(calls.find((c) => c.url.startsWith('/api/campaigns?'))!).get('status')).toBe('draft');
    await userEvent.click(add);
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url === '/api/campaigns/5/leads')).toBe(true));
    expect(JSON.parse(calls.find((c) => c.url === '/api/campaigns/5/leads')!.body!)).toEqual({ lead_ids: [1, 3] });
    expect(await screen.findByText('Added 2 leads to Spring sale')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('shows a bulk error in the dialog and keeps the selection', async () => {
    mockApi((c) => {
      if (c.method === 'GET' && c.url.startsWith('/api/leads')) return { status: 200, json: page([lead(1)], 1, 25) };
      if (c.url === '/api/leads/bulk') return { status: 403, json: { detail: 'The role of this API key does not allow this request' } };
      return undefined;
    });
    renderWithProviders(<LeadsPage />, { route: '/leads' });
    await userEvent.click(await screen.findByRole('checkbox', { name: 'Select Lead 1' }));
    await userEvent.click(within(screen.getByTestId('bulk-bar')).getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete 1 lead?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete 1 lead' }));
    expect(await within(dialog).findByText(/Not allowed: The role of this API key/)).toBeInTheDocument();
    expect(screen.getByTestId('bulk-count')).toHaveTextContent('1 lead selected');
  });
});
