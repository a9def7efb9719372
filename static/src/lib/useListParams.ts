import { useEffect, useState } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { useDebounced } from './useDebounced';

/**
 * A list page's state in its URL: ?q= (what the search box says, debounced; a new search goes
 * back to the first page), ?offset= (`paging` for a PagedList), ?after= (a keyset list's cursor)
 * and any other parameter through `update`.
 */
export function useListParams() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const [search, setSearch] = useState(q);
  const debounced = useDebounced(search, 300);

  /**
   * Set parameters (null or '' removes one); `push` adds a history entry instead of replacing this
   * one; `state` is kept with the history entry (what a keyset list needs to page back).
   */
  const update = (changes: Record<string, string | null>, { push = false, state }: { push?: boolean; state?: unknown } = {}) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: !push, state });
  };

  useEffect(() => {
    if (debounced !== q) update({ q: debounced || null, offset: null, after: null });
  }, [debounced]); // eslint-disable-line react-hooks/exhaustive-deps

  /** PagedList's paging with the offset in the URL (?offset=, none on the first page). */
  const paging = (limit: number) => ({ limit, offset, onOffset: (o: number) => update({ offset: o > 0 ? String(o) : null }) });

  const location = useLocation();
  const after = params.get('after') ?? '';
  const trail = keysetTrail(location.state);
  /**
   * A keyset list's paging with its cursor in the URL (?after=, none on the first page). The
   * cursors of the pages before this one are kept in the history entry, so Previous (and the
   * browser's Back) step back one page; opened at an ?after= of its own, Previous goes to the first page.
   */
  const keyset: Keyset = {
    after,
    page: after === '' ? 1 : trail.length > 0 ? trail.length + 1 : null,
    hasPrevious: after !== '',
    next: (nextAfter: string) => update({ after: nextAfter }, { push: true, state: { keysetTrail: [...trail, after] } }),
    previous: ({ replace = false }: { replace?: boolean } = {}) =>
      update({ after: trail.at(-1) || null }, { push: !replace, state: { keysetTrail: trail.slice(0, -1) } }),
  };

  /** The keyset cursor as a number for the API (undefined on the first page). */
  const afterId = /^\d+$/.test(after) ? Number(after) : undefined;

  return { params, q, offset, search, setSearch, update, paging, keyset, afterId };
}

/** Where a keyset list is (see useListParams). */
export interface Keyset {
  /** The cursor of this page ('' on the first page). */
  after: string;
  /** This page's number from 1, or null when it is not known (opened at an ?after= of the URL). */
  page: number | null;
  hasPrevious: boolean;
  /** To the page after `nextAfter` (the answer's next_after). */
  next: (nextAfter: string) => void;
  /** Back one page; `replace`: instead of this history entry (a page that became empty). */
  previous: (opts?: { replace?: boolean }) => void;
}

function keysetTrail(state: unknown): string[] {
  const t = state && typeof state === 'object' ? (state as { keysetTrail?: unknown }).keysetTrail : undefined;
  return Array.isArray(t) && t.every((x) => typeof x === 'string') ? t : [];
}

/**
 * A keyset list's paging kept in the component (a list inside a page, not the page's URL): the
 * cursor and the cursors of the pages before it. `reset` goes back to the first page (a new filter).
 */
export function useLocalKeyset(): Keyset & { reset: () => void } {
  const [trail, setTrail] = useState<string[]>([]);
  const [after, setAfter] = useState('');
  return {
    after,
    page: trail.length + 1,
    hasPrevious: after !== '',
    next: (nextAfter: string) => {
      setTrail((t) => [...t, after]);
      setAfter(nextAfter);
    },
    previous: () => {
      setAfter(trail.at(-1) ?? '');
      setTrail((t) => t.slice(0, -1));
    },
    reset: () => {
      setTrail([]);
      setAfter('');
    },
  };
}
