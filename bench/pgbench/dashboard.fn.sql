-- dashboard (bench/lua/static_path.lua on /api/dashboard/stats): as the module calls it.
SELECT status, body FROM api.dashboard_stats();
