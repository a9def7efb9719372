-- dashboard: api.dashboard_stats's statements as one query (the same body): the counters,
-- campaigns by status, the totals of campaign_stats_total, the pending leads of the
-- running and paused campaigns, the 24 hourly sends and replies, the replies, the
-- opt-outs and smscamp_calls_totals() (a helper the route calls: kept). Leaves out the
-- function: plpgsql (and its jsonb of the counters, here a join), SECURITY DEFINER and
-- SET search_path. The first hour, smscamp_hour(now()) - 23 hours, is written out each
-- time it is used (a parameter in the function, a stable expression here).
WITH k AS (
    SELECT c.name, sum(c.n)::bigint AS n FROM smscamp_counters AS c GROUP BY c.name
), st AS (
    SELECT json_object_agg(st.s, coalesce(k.n, 0) ORDER BY st.o) AS by_status,
           coalesce(sum(k.n), 0) AS total
      FROM unnest(api_campaign_statuses()) WITH ORDINALITY AS st(s, o)
      LEFT JOIN k ON k.name = 'campaigns.' || st.s
), s AS (
    SELECT coalesce(sum(cs.total_leads), 0)::bigint AS total_leads,
           coalesce(sum(cs.sent + cs.delivered), 0)::bigint AS sent,
           coalesce(sum(cs.failed + cs.undelivered), 0)::bigint AS failed,
           coalesce(sum(cs.undelivered), 0)::bigint AS undelivered,
           coalesce(sum(cs.sms_segments), 0)::bigint AS segments,
           coalesce(sum(cs.sms_cost), 0) AS cost,
           (SELECT coalesce(sum(r.unfinished), 0)::bigint
              FROM campaigns AS c JOIN campaign_stats AS r ON r.campaign_id = c.id
             WHERE c.status IN ('pending', 'processing', 'paused')) AS pending
      FROM campaign_stats_total AS cs
), hours AS (
    SELECT json_agg(coalesce(h.sent, 0) ORDER BY g.hour) AS j
      FROM generate_series(smscamp_hour(now()) - interval '23 hours', smscamp_hour(now()),
                           interval '1 hour') AS g(hour)
      LEFT JOIN (SELECT m.hour, sum(m.sent)::bigint AS sent
                   FROM message_stats_hourly AS m
                  WHERE m.hour >= smscamp_hour(now()) - interval '23 hours'
                  GROUP BY m.hour) AS h ON h.hour = g.hour
), reply_hours AS (
    SELECT json_agg(coalesce(h.n, 0) ORDER BY g.hour) AS j
      FROM generate_series(smscamp_hour(now()) - interval '23 hours', smscamp_hour(now()),
                           interval '1 hour') AS g(hour)
      LEFT JOIN (SELECT smscamp_hour(m.created_at) AS hour, count(*) AS n
                   FROM messages AS m
                  WHERE m.direction = 'inbound'
                    AND m.created_at >= smscamp_hour(now()) - interval '23 hours'
                  GROUP BY 1) AS h ON h.hour = g.hour
), r AS (
    SELECT count(DISTINCT m.campaign_lead_id) AS n
      FROM messages AS m WHERE m.direction = 'inbound' AND m.campaign_lead_id IS NOT NULL
)
SELECT json_build_object(
           'replies', r.n,
           'reply_rate', smscamp_reply_rate(r.n, s.sent + s.undelivered),
           'opt_outs', (SELECT count(*) FROM opt_outs),
           'replies_per_hour', reply_hours.j,
           'calls', smscamp_calls_totals(),
           'total_leads', coalesce((SELECT k.n FROM k WHERE k.name = 'leads'), 0),
           'total_campaigns', st.total,
           'campaigns_by_status', st.by_status,
           'total_campaign_leads', s.total_leads,
           'total_messages_sent', s.sent,
           'total_messages_failed', s.failed,
           'total_messages_pending', s.pending,
           'total_segments', s.segments,
           'total_cost', round(s.cost, 4),
           'success_rate', smscamp_success_rate(s.sent, s.failed),
           'messages_per_hour', hours.j,
           'messages_per_hour_from', smscamp_hour(now()) - interval '23 hours')::text
  FROM s, st, hours, reply_hours, r;
