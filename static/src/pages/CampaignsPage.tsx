import { useEffect, useId, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError, CAMPAIGN_STATUSES } from '../api';
import { Card, CampaignStatusBadge, EmptyState, ErrorState, LoadingState, PageHeader, Pagination, Select, TextInput, cx } from '../components/ui';
import { AGENT_LABELS, CampaignLink, CampaignProgress } from '../components/campaign';
import { campaignStatusMeta, campaignTotals, ACTIVE_STATUSES } from '../lib/status';
import { useDebounced } from '../lib/useDebounced';
import { fmtCost, fmtDateTime, fmtInt } from '../lib/format';

const PAGE_SIZE = 20;

export default function CampaignsPage() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const [search, setSearch] = useState(q);
  const debounced = useDebounced(search, 300);
  const searchId = useId();
  const statusId = useId();

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };

  useEffect(() => {
    if (debounced !== q) update({ q: debounced || null, offset: null });
  }, [debounced]); // eslint-disable-line react-hooks/exhaustive-deps

  const list = useQuery({
    queryKey: ['campaigns', 'list', { status, q, offset }],
    queryFn: ({ signal }) => api.listCampaigns({ status: status || undefined, q: q || undefined, limit: PAGE_SIZE, offset }, signal),
    placeholderData: keepPreviousData,
    // live progress bars while something is running
    refetchInterval: (query) => (query.state.data?.items.some((c) => ACTIVE_STATUSES.has(c.status)) ? 3_000 : 15_000),
  });
  const notAvailable = list.error instanceof ApiError && list.error.notAvailable;

  const data = list.data;
  return (
    <>
      <PageHeader
        title="Campaigns"
        description={data ? `${fmtInt(data.total)} ${status || q ? 'matching' : 'in total'}` : 'Personalised SMS to a list of leads'}
        actions={
          !notAvailable && (
            <Link to="/campaigns/new" className="inline-flex items-center rounded-lg bg-indigo-600 px-3.5 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-700">
              New campaign
            </Link>
          )
        }
      />
      <Card>
        {!notAvailable && (
          <div className="space-y-3 border-b border-slate-100 px-4 py-3 sm:px-5">
            <div className="flex flex-col gap-3 sm:flex-row sm:items-center">
              <div className="w-full sm:max-w-xs">
                <label htmlFor={searchId} className="sr-only">
                  Search campaigns
                </label>
                <TextInput id={searchId} type="search" placeholder="Search campaigns" value={search} onChange={(e) => setSearch(e.target.value)} />
              </div>
              <div className="sm:hidden">
                <label htmlFor={statusId} className="sr-only">
                  Status
                </label>
                <Select id={statusId} value={status} onChange={(e) => update({ status: e.target.value || null, offset: null })}>
                  <option value="">All statuses</option>
                  {CAMPAIGN_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {campaignStatusMeta(s).label}
                    </option>
                  ))}
                </Select>
              </div>
            </div>
            <div className="hidden flex-wrap gap-1.5 sm:flex" role="group" aria-label="Filter by status">
              {['', ...CAMPAIGN_STATUSES].map((s) => (
                <button
                  key={s || 'all'}
                  type="button"
                  aria-pressed={status === s}
                  onClick={() => update({ status: s || null, offset: null })}
                  className={cx(
                    'rounded-full px-3 py-1 text-xs font-medium ring-1 ring-inset transition-colors',
                    status === s ? 'bg-indigo-600 text-white ring-indigo-600' : 'bg-white text-slate-600 ring-slate-200 hover:bg-slate-50',
                  )}
                >
                  {s ? campaignStatusMeta(s).label : 'All'}
                </button>
              ))}
            </div>
          </div>
        )}

        {list.isLoading ? (
          <LoadingState label="Loading campaigns…" />
        ) : list.error ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} feature="Campaigns" path="/api/campaigns" />
        ) : data && data.items.length === 0 ? (
          status || q ? (
            <EmptyState title="No campaigns match these filters">
              <button type="button" className="font-medium text-indigo-600 hover:underline" onClick={() => { setSearch(''); update({ status: null, q: null, offset: null }); }}>
                Clear filters
              </button>
            </EmptyState>
          ) : (
            <EmptyState
              title="No campaigns yet"
              action={
                <Link to="/campaigns/new" className="text-sm font-medium text-indigo-600 hover:underline">
                  Create a campaign
                </Link>
              }
            >
              Pick leads, write the instructions for the message writer, preview, start.
            </EmptyState>
          )
        ) : data ? (
          <>
            <div className="overflow-x-auto">
              <table className="min-w-full text-left text-sm" data-testid="campaigns-table">
                <caption className="sr-only">Campaigns</caption>
                <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                  <tr>
                    <th scope="col" className="px-4 py-2.5 font-medium sm:px-5">Campaign</th>
                    <th scope="col" className="px-4 py-2.5 font-medium">Status</th>
                    <th scope="col" className="hidden px-4 py-2.5 font-medium md:table-cell">Progress</th>
                    <th scope="col" className="hidden px-4 py-2.5 text-right font-medium lg:table-cell">Sent</th>
                    <th scope="col" className="hidden px-4 py-2.5 text-right font-medium lg:table-cell">Cost</th>
                    <th scope="col" className="hidden px-4 py-2.5 font-medium xl:table-cell">Created</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {data.items.map((c) => (
                    <tr key={c.id} className="hover:bg-slate-50/60">
                      <td className="px-4 py-3 sm:px-5">
                        <CampaignLink campaign={c} />
                        <div className="text-xs text-slate-500">{AGENT_LABELS[c.agent_type] ?? c.agent_type}</div>
                        <div className="mt-2 md:hidden">
                          <CampaignProgress campaign={c} compact />
                        </div>
                      </td>
                      <td className="px-4 py-3 align-top sm:align-middle">
                        <CampaignStatusBadge status={c.status} />
                      </td>
                      <td className="hidden w-56 px-4 py-3 md:table-cell">
                        <CampaignProgress campaign={c} compact />
                      </td>
                      <td className="hidden px-4 py-3 text-right tabular-nums lg:table-cell">{fmtInt(campaignTotals(c.stats).sent)}</td>
                      <td className="hidden px-4 py-3 text-right tabular-nums lg:table-cell">{fmtCost(campaignTotals(c.stats).cost)}</td>
                      <td className="hidden whitespace-nowrap px-4 py-3 text-xs text-slate-500 xl:table-cell">{fmtDateTime(c.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination total={data.total} limit={PAGE_SIZE} offset={offset} onChange={(o) => update({ offset: o > 0 ? String(o) : null })} label="campaigns" />
          </>
        ) : null}
      </Card>
    </>
  );
}
