import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useDebounced } from './useDebounced';

/**
 * A list page's state in its URL: ?q= (what the search box says, debounced; a new search goes
 * back to the first page), ?offset= (`paging` for a PagedList), and any other parameter through `update`.
 */
export function useListParams() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const [search, setSearch] = useState(q);
  const debounced = useDebounced(search, 300);

  /** Set parameters (null or '' removes one); `push` adds a history entry instead of replacing this one. */
  const update = (changes: Record<string, string | null>, { push = false }: { push?: boolean } = {}) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: !push });
  };

  useEffect(() => {
    if (debounced !== q) update({ q: debounced || null, offset: null });
  }, [debounced]); // eslint-disable-line react-hooks/exhaustive-deps

  /** PagedList's paging with the offset in the URL (?offset=, none on the first page). */
  const paging = (limit: number) => ({ limit, offset, onOffset: (o: number) => update({ offset: o > 0 ? String(o) : null }) });

  return { params, q, offset, search, setSearch, update, paging };
}
