import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Thread } from '../components/thread';
import LeadsPage from '../pages/LeadsPage';
import { lead, mockApi, page, renderWithProviders } from './helpers';

const msg = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  lead_id: 1,
  campaign_id: 5,
  campaign_lead_id: 50,
  phone: '+14155550101',
  direction: 'outbound',
  body: `message ${id}`,
  kind: 'campaign',
  status: 'delivered',
  provider_sid: `SM${id}`,
  intent: null,
  created_at: '2026-03-04T09:30:00+00:00',
  sent_at: '2026-03-04T09:30:01+00:00',
  ...over,
});

describe('Thread', () => {
  it('shows what was sent on the right with its status, what the lead sent on the left, oldest first', async () => {
    const { calls } = mockApi((c) =>
      c.method === 'GET' && c.url.startsWith('/api/leads/1/messages')
        ? {
            status: 200,
            json: {
              items: [msg(1), msg(2, { direction: 'inbound', kind: 'reply', status: null, body: 'Yes please, what time?', provider_sid: 'SMin' })],
              total: 2,
              limit: 100,
              next_after: null,
            },
          }
        : undefined,
    );
    renderWithProviders(<Thread lead={{ id: 1, name: 'Ada Lovelace', phone: '+14155550101' }} />);
    const list = await screen.findByRole('list', { name: 'Messages with Ada Lovelace' });
    const items = within(list).getAllByTestId('thread-message');
    expect(items.map((i) => i.getAttribute('data-direction'))).toEqual(['outbound', 'inbound']);
    expect(items[0]).toHaveTextContent('message 1');
    expect(items[0]).toHaveTextContent('Delivered');
    expect(within(items[0]).getByRole('link', { name: 'campaign #5' })).toHaveAttribute('href', '/campaigns/5');
    expect(items[1]).toHaveTextContent('Yes please, what time?');
    expect(items[1]).not.toHaveTextContent('Delivered');
    expect(screen.getByText(/2 messages with/)).toBeInTheDocument();
    expect(new URL(calls[0].url, 'http://x').searchParams.get('limit')).toBe('100');
  });

  it('loads the next page from next_after', async () => {
    const { calls } = mockApi((c) => {
      if (!(c.method === 'GET' && c.url.startsWith('/api/leads/1/messages'))) return undefined;
      const after = new URL(c.url, 'http://x').searchParams.get('after');
      return after === '1'
        ? { status: 200, json: { items: [msg(2, { body: 'the second' })], total: 2, limit: 100, next_after: null } }
        : { status: 200, json: { items: [msg(1)], total: 2, limit: 100, next_after: 1 } };
    });
    renderWithProviders(<Thread lead={{ id: 1, name: 'Ada Lovelace', phone: '+14155550101' }} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Newer messages' }));
    expect(await screen.findByText('the second')).toBeInTheDocument();
    expect(calls.some((c) => new URL(c.url, 'http://x').searchParams.get('after') === '1')).toBe(true);
    expect(screen.queryByRole('button', { name: 'Newer messages' })).not.toBeInTheDocument();
  });

  it('says so when there is nothing yet', async () => {
    mockApi((c) => (c.url.startsWith('/api/leads/1/messages') ? { status: 200, json: { items: [], total: 0, limit: 100, next_after: null } } : undefined));
    renderWithProviders(<Thread lead={{ id: 1, name: 'Ada Lovelace', phone: '+14155550101' }} />);
    expect(await screen.findByText('No messages yet')).toBeInTheDocument();
  });

  it('opens from a lead row of the leads page', async () => {
    mockApi((c) => {
      if (c.method === 'GET' && c.url.startsWith('/api/leads/1/messages'))
        return { status: 200, json: { items: [msg(1, { body: 'Hi Ada, our sale starts Monday.' })], total: 1, limit: 100, next_after: null } };
      if (c.method === 'GET' && c.url.startsWith('/api/leads')) return { status: 200, json: page([lead(1)]) };
      return undefined;
    });
    renderWithProviders(<LeadsPage />, { route: '/leads' });
    const name = (lead(1) as { name: string }).name;
    await userEvent.click(await screen.findByRole('button', { name: `Messages with ${name}` }));
    const dialog = await screen.findByRole('dialog', { name: `Messages with ${name}` });
    expect(await within(dialog).findByText('Hi Ada, our sale starts Monday.')).toBeInTheDocument();
  });
});
