import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import DashboardPage from '../pages/DashboardPage';
import type { Cluster, ClusterStandby } from '../api';
import { mockApi, renderWithProviders } from './helpers';

const standby = (over: Partial<ClusterStandby>): ClusterStandby => ({
  application_name: 'pgautofailover_standby_2',
  client_addr: '10.0.0.12',
  state: 'streaming',
  sync_state: 'quorum',
  sent_lsn: '0/3000148',
  flush_lsn: '0/3000148',
  replay_lsn: '0/3000148',
  flush_lag_ms: 1.6,
  replay_lag_ms: 2.1,
  ...over,
});

const node = { system_identifier: '7391234567890123456', port: 5432, in_recovery: false, read_only: false, started_at: '2026-03-01T10:00:00+00:00', timeline: 3 };

const formation: Cluster = {
  mode: 'formation',
  node,
  durable_marks: true,
  synchronous_standby_names: 'ANY 1 (pgautofailover_standby_2, pgautofailover_standby_3)',
  standbys: [
    standby({ flush_lag_ms: 12.5 }),
    standby({ application_name: 'pgautofailover_standby_3', client_addr: '10.0.0.13', state: 'catchup', sync_state: 'potential', flush_lag_ms: null, replay_lag_ms: null }),
  ],
  synchronous_standbys: 1,
  marks_durable: true,
  workers: 4,
};

const single: Cluster = {
  mode: 'single',
  node: { ...node, port: 5433, timeline: 1 },
  durable_marks: false,
  synchronous_standby_names: '',
  standbys: [],
  synchronous_standbys: 0,
  marks_durable: true,
  workers: 4,
};

/** The value of the card's `label` (a dt's dd). */
const term = (card: HTMLElement, label: string) => within(card).getByText(label, { selector: 'dt' }).nextElementSibling as HTMLElement;

/** The dashboard with GET /api/cluster answering `cluster` (the other dashboard APIs: 404 Not Found). */
async function renderCard(cluster: Cluster) {
  const { calls } = mockApi((c) => (c.method === 'GET' && c.url === '/api/cluster' ? { status: 200, json: cluster } : undefined));
  renderWithProviders(<DashboardPage />);
  const card = await screen.findByTestId('cluster-card');
  await within(card).findByTestId('cluster-badge');
  return { card, calls };
}

describe('Dashboard: the Database card (GET /api/cluster)', () => {
  it('a formation: the node, the standbys with their sync state and flush lag, and marks on a standby (green)', async () => {
    const { card, calls } = await renderCard(formation);
    expect(calls.some((c) => c.url === '/api/cluster')).toBe(true);
    expect(within(card).getByRole('heading', { name: 'Database' })).toBeInTheDocument();
    expect(card).toHaveTextContent('Formation');
    expect(within(card).getByTestId('cluster-node')).toHaveTextContent('Primary');
    expect(term(card, 'Port')).toHaveTextContent(/^5432$/);
    expect(term(card, 'Timeline')).toHaveTextContent(/^3$/);
    expect(term(card, 'Workers')).toHaveTextContent(/^4$/);
    const badge = within(card).getByTestId('cluster-badge');
    expect(badge).toHaveTextContent('Marks on a standby');
    expect(badge).toHaveAttribute('data-cluster-state', 'durable');
    expect(badge.querySelector('span')).toHaveClass('bg-emerald-50');
    const rows = within(within(card).getByTestId('cluster-standbys')).getAllByTestId('cluster-standby');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('pgautofailover_standby_2');
    expect(rows[0]).toHaveTextContent('streaming');
    expect(rows[0]).toHaveTextContent('quorum');
    expect(rows[0]).toHaveTextContent('12.5');
    expect(rows[1]).toHaveTextContent('pgautofailover_standby_3');
    expect(rows[1]).toHaveTextContent('catchup');
    expect(rows[1]).toHaveTextContent('potential');
    expect(rows[1]).toHaveTextContent('—');
  });

  it('durable marks on and no synchronous standby streaming: sends held (red)', async () => {
    const { card } = await renderCard({
      ...formation,
      standbys: [standby({ state: 'catchup' }), standby({ application_name: 'pgautofailover_standby_3', sync_state: 'async' })],
      marks_durable: false,
    });
    const badge = within(card).getByTestId('cluster-badge');
    expect(badge).toHaveTextContent('Sends held: no synchronous standby');
    expect(badge).toHaveAttribute('data-cluster-state', 'held');
    expect(badge.querySelector('span')).toHaveClass('bg-red-50');
  });

  it('a formation with durable marks off: marks not checked (amber), even with a synchronous standby', async () => {
    const { card } = await renderCard({ ...formation, durable_marks: false, marks_durable: true });
    const badge = within(card).getByTestId('cluster-badge');
    expect(badge).toHaveTextContent('Marks not checked: durable marks off');
    expect(badge).toHaveAttribute('data-cluster-state', 'unchecked');
    expect(badge.querySelector('span')).toHaveClass('bg-amber-50');
  });

  it('a single node: the node, no standby table, one node: no replication (grey)', async () => {
    const { card } = await renderCard(single);
    expect(card).toHaveTextContent('Single node');
    expect(within(card).getByTestId('cluster-node')).toHaveTextContent('Primary');
    expect(term(card, 'Port')).toHaveTextContent(/^5433$/);
    expect(term(card, 'Timeline')).toHaveTextContent(/^1$/);
    const badge = within(card).getByTestId('cluster-badge');
    expect(badge).toHaveTextContent('One node: no replication');
    expect(badge).toHaveAttribute('data-cluster-state', 'single');
    expect(badge.querySelector('span')).toHaveClass('bg-slate-100');
    expect(within(card).queryByTestId('cluster-standbys')).not.toBeInTheDocument();
  });

  it('a standby answering: "Standby", in a formation', async () => {
    const { card } = await renderCard({ ...formation, node: { ...node, in_recovery: true, read_only: true }, standbys: [], synchronous_standbys: 0, synchronous_standby_names: '' });
    expect(within(card).getByTestId('cluster-node')).toHaveTextContent(/^Standby$/);
    expect(card).toHaveTextContent('This node is a standby');
  });

  it('a server without the route: "not available yet", no badge', async () => {
    mockApi(() => undefined);
    renderWithProviders(<DashboardPage />);
    const card = await screen.findByTestId('cluster-card');
    expect(await within(card).findByText("The database node isn't available on this server yet.")).toBeInTheDocument();
    expect(within(card).queryByTestId('cluster-badge')).not.toBeInTheDocument();
  });
});
