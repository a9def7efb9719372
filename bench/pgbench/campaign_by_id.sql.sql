-- campaign_by_id: the SQL api.campaigns_get wraps (smscamp_campaign_json(bigint)'s own
-- query; the same body). Leaves out the route function: plpgsql, SECURITY DEFINER and
-- SET search_path, api_parse_id's check, api_found's 404. smscamp_campaign_json(campaigns)
-- and what it calls are the campaign's JSON itself, not the route: kept.
\set id random(:cmin, :cmax)
SELECT smscamp_campaign_json(c)::text FROM campaigns AS c WHERE c.id = :id;
