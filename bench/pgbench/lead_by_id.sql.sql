-- lead_by_id: the SQL api.leads_get wraps (the same body). Leaves out the function:
-- plpgsql, SECURITY DEFINER and SET search_path, api_parse_id's check of the path id,
-- api_found's 404.
\set id random(1, :maxid)
SELECT api_lead_json(l)::text FROM leads AS l WHERE l.id = :id;
