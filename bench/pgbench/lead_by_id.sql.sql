-- lead_by_id: the SQL api.leads_get wraps (the same body, api_lead_text). Leaves out the
-- function: plpgsql, SECURITY DEFINER and SET search_path, api_parse_id's check of the
-- path id, api_found's 404.
\set id random(1, :maxid)
SELECT row_to_json(v)::text FROM api_lead_view AS v WHERE v.id = :id;
