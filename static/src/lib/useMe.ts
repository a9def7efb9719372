import { useQuery } from '@tanstack/react-query';
import { api } from '../api';

/** The key this browser sends (GET /api/keys/me), shared by every caller. */
export function useMe() {
  return useQuery({ queryKey: ['keys', 'me'], queryFn: ({ signal }) => api.keysMe(signal), staleTime: 30_000, retry: false });
}

/** Whether the key this browser sends is an admin key (or the server checks no keys). */
export function useIsAdmin(): boolean {
  return useMe().data?.role === 'admin';
}

/**
 * Whether the key this browser sends may change things (operator and admin keys; a viewer key
 * reads only). Unknown while GET /api/keys/me is on its way; when that fails, the server decides.
 */
export function useCanEdit(): boolean {
  const me = useMe();
  if (me.data) return me.data.role !== 'viewer';
  return me.isError;
}
