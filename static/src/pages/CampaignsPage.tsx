import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, ApiError, CAMPAIGN_STATUSES } from '../api';
import { Card, CampaignStatusBadge, EmptyState, PageHeader } from '../components/ui';
import { DataTable, FilterBar, FilterChips, FilterSelect, PagedList, SearchField, Th } from '../components/list';
import { AGENT_LABELS, CampaignLink, CampaignProgress, NewCampaignLink } from '../components/campaign';
import { campaignStatusMeta, campaignTotals, ACTIVE_STATUSES } from '../lib/status';
import { useListParams } from '../lib/useListParams';
import { fmtCost, fmtDateTime, fmtInt } from '../lib/format';

const PAGE_SIZE = 20;
const statusLabel = (s: string) => campaignStatusMeta(s).label;
const STATUS_CHIPS = [{ value: '', label: 'All' }, ...CAMPAIGN_STATUSES.map((s) => ({ value: s as string, label: statusLabel(s) }))];

export default function CampaignsPage() {
  const { params, q, search, setSearch, update, paging, keyset, afterId } = useListParams();
  const status = params.get('status') ?? '';

  // keyset pages (?after=, newest first): the same cost however deep
  const list = useQuery({
    queryKey: ['campaigns', 'list', { status, q, after: afterId }],
    queryFn: ({ signal }) => api.listCampaigns({ status: status || undefined, q: q || undefined, limit: PAGE_SIZE, after: afterId }, signal),
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
            <NewCampaignLink />
          )
        }
      />
      <Card>
        {!notAvailable && (
          <FilterBar className="space-y-3">
            <div className="flex flex-col gap-3 sm:flex-row sm:items-center">
              <SearchField label="Search campaigns" placeholder="Search campaigns" value={search} onChange={setSearch} className="sm:max-w-xs" />
              <div className="sm:hidden">
                <FilterSelect
                  label="Status"
                  value={status}
                  onChange={(s) => update({ status: s || null, offset: null, after: null })}
                  allLabel="All statuses"
                  options={CAMPAIGN_STATUSES}
                  optionLabel={statusLabel}
                />
              </div>
            </div>
            <FilterChips
              label="Filter by status"
              className="hidden flex-wrap gap-1.5 sm:flex"
              value={status}
              options={STATUS_CHIPS}
              onChange={(s) => update({ status: s || null, offset: null, after: null })}
            />
          </FilterBar>
        )}

        <PagedList
          query={list}
          feature="Campaigns"
          path="/api/campaigns"
          paging={paging(PAGE_SIZE)}
          keyset={keyset}
          label="campaigns"
          empty={
            status || q ? (
              <EmptyState title="No campaigns match these filters">
                <button type="button" className="font-medium text-indigo-600 hover:underline" onClick={() => { setSearch(''); update({ status: null, q: null, offset: null, after: null }); }}>
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
          }
        >
          {(page) => (
            <DataTable
              testId="campaigns-table"
              caption="Campaigns"
              head={
                <>
                  <Th className="px-4 sm:px-5">Campaign</Th>
                  <Th className="px-4">Status</Th>
                  <Th className="hidden px-4 md:table-cell">Progress</Th>
                  <Th className="hidden px-4 text-right lg:table-cell">Sent</Th>
                  <Th className="hidden px-4 text-right lg:table-cell">Cost</Th>
                  <Th className="hidden px-4 xl:table-cell">Created</Th>
                </>
              }
            >
              {page.items.map((c) => (
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
            </DataTable>
          )}
        </PagedList>
      </Card>
    </>
  );
}
