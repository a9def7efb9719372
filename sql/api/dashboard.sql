-- Dashboard API (contract: sql/README.md).
--
--   GET /api/dashboard/stats                         api.dashboard_stats()
--   GET /api/dashboard/recent-campaigns?limit=&offset=   api.dashboard_recent_campaigns(args)
--
-- Every number comes from the counters kept by sql/campaign_stats.sql's triggers
-- (campaign_stats_total, campaign_stats, message_stats_hourly,
-- smscamp_counters), a few rows each: nothing here
-- counts leads or campaign leads, so the answer takes the same time with a
-- million campaign leads as with ten.  (The pending messages add up the
-- counters of the running and paused campaigns only: a few rows each.)

-- GET /api/dashboard/stats
--   total_leads, total_campaigns, campaigns_by_status {status: n, every status},
--   total_campaign_leads,
--   total_messages_sent      campaign leads sent or delivered
--   total_messages_failed    failed or undelivered
--   total_messages_pending   pending, processing or sending leads of the
--                            campaigns that run or are paused (campaign status
--                            pending, processing, paused): drafts, scheduled
--                            and finished campaigns are not waiting to send
--   total_segments, total_cost   of the SMS handed to the provider
--   success_rate             sent / (sent + failed), percent, one decimal;
--                            null until a message has an outcome
--   messages_per_hour        24 numbers: messages sent in each of the last 24
--                            hours (UTC-aligned hours, oldest first, the last
--                            one is the current hour), by processed_at
--   messages_per_hour_from   the start of the first of those hours
--   replies, reply_rate, opt_outs   leads who answered a campaign, of the
--                            leads sent (percent), and who answered with an
--                            opt-out (opt_outs: every opted-out phone)
--   replies_per_hour         inbound messages in each of the same 24 hours
--   (the replies are counted from the messages' indexes, not from counters)
CREATE OR REPLACE FUNCTION api.dashboard_stats(OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_counters jsonb;
    v_by_status json;
    s record;
    v_from timestamptz := smscamp_hour(now()) - interval '23 hours';
    v_hours json;
    v_reply_hours json;
    v_replies bigint;
BEGIN
    SELECT coalesce(jsonb_object_agg(x.name, x.n), '{}') INTO v_counters
      FROM (SELECT c.name, sum(c.n)::bigint AS n FROM smscamp_counters c GROUP BY c.name) AS x;

    SELECT json_object_agg(st.s, coalesce((v_counters ->> ('campaigns.' || st.s))::bigint, 0)
                           ORDER BY st.o)
      INTO v_by_status
      FROM unnest(api_campaign_statuses()) WITH ORDINALITY AS st(s, o);

    SELECT coalesce(sum(cs.total_leads), 0)::bigint AS total_leads,
           coalesce(sum(cs.sent + cs.delivered), 0)::bigint AS sent,
           coalesce(sum(cs.failed + cs.undelivered), 0)::bigint AS failed,
           coalesce(sum(cs.undelivered), 0)::bigint AS undelivered,
           coalesce(sum(cs.sms_segments), 0)::bigint AS segments,
           coalesce(sum(cs.sms_cost), 0) AS cost,
           (SELECT coalesce(sum(r.unfinished), 0)::bigint
              FROM campaigns c JOIN campaign_stats r ON r.campaign_id = c.id
             WHERE c.status IN ('pending', 'processing', 'paused')) AS pending
      INTO s
      FROM campaign_stats_total cs;

    SELECT json_agg(coalesce(h.sent, 0) ORDER BY g.hour)
      INTO v_hours
      FROM generate_series(v_from, v_from + interval '23 hours', interval '1 hour') AS g(hour)
      LEFT JOIN (SELECT m.hour, sum(m.sent)::bigint AS sent
                   FROM message_stats_hourly m
                  WHERE m.hour >= v_from
                  GROUP BY m.hour) AS h ON h.hour = g.hour;

    SELECT json_agg(coalesce(h.n, 0) ORDER BY g.hour)
      INTO v_reply_hours
      FROM generate_series(v_from, v_from + interval '23 hours', interval '1 hour') AS g(hour)
      LEFT JOIN (SELECT smscamp_hour(m.created_at) AS hour, count(*) AS n
                   FROM messages m
                  WHERE m.direction = 'inbound' AND m.created_at >= v_from
                  GROUP BY 1) AS h ON h.hour = g.hour;
    SELECT count(DISTINCT m.campaign_lead_id) INTO v_replies
      FROM messages m WHERE m.direction = 'inbound' AND m.campaign_lead_id IS NOT NULL;
    status := 200;
    body := json_build_object(
        'replies', v_replies,
        'reply_rate', smscamp_reply_rate(v_replies, s.sent + s.undelivered),
        'opt_outs', (SELECT count(*) FROM opt_outs),
        'replies_per_hour', v_reply_hours,
        'calls', smscamp_calls_totals(),
        'total_leads', coalesce((v_counters ->> 'leads')::bigint, 0),
        'total_campaigns', (SELECT coalesce(sum(value::bigint), 0)
                              FROM json_each_text(v_by_status)),
        'campaigns_by_status', v_by_status,
        'total_campaign_leads', s.total_leads,
        'total_messages_sent', s.sent,
        'total_messages_failed', s.failed,
        'total_messages_pending', s.pending,
        'total_segments', s.segments,
        'total_cost', round(s.cost, 4),
        'success_rate', smscamp_success_rate(s.sent, s.failed),
        'messages_per_hour', v_hours,
        'messages_per_hour_from', v_from)::text;
END
$$;

-- GET /api/dashboard/recent-campaigns?limit=&offset=: the latest campaigns
-- (default 5, at most 100), newest first, each with its stats.
CREATE OR REPLACE FUNCTION api.dashboard_recent_campaigns(p_args jsonb,
                                                          OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    v_items json;
BEGIN
    SELECT * INTO p FROM api_list_params(coalesce(p_args, '{}'), 5, 100);
    PERFORM api_check(p.errors);
    SELECT coalesce(json_agg(smscamp_campaign_json(c) ORDER BY c.id DESC), '[]')
      INTO v_items
      FROM (SELECT * FROM campaigns ORDER BY id DESC LIMIT p.lim OFFSET p.off) AS c;
    status := 200;
    body := json_build_object(
        'items', v_items,
        'total', (SELECT coalesce(sum(c.n), 0)::bigint FROM smscamp_counters c
                   WHERE c.name LIKE 'campaigns.%'),
        'limit', p.lim, 'offset', p.off)::text;
END
$$;

CALL smscamp_secure_api();
