-- lead_create: the INSERT api.leads_create runs, with the same values (phones as in
-- lead_create.fn.sql) and the same answer body. Leaves out the function: plpgsql,
-- SECURITY DEFINER and SET search_path, reading the JSON body and api_lead_validate (the
-- checks, trimming, phone normalisation: the values here are already clean), and the
-- 409 of api_lead_phone_conflict (no phone repeats). The answer is read in a statement of
-- its own, as the function does (api_lead_text): the INSERT's snapshot does not show the lead.
\set n :n + 1
\set phone :area * 10000000 + (:client_id % 10) * 1000000 + :n % 1000000
INSERT INTO leads AS l (name, phone, email, company, notes, attributes, timezone,
                        consent_at, consent_source, consent_text)
VALUES (format('Bench Lead %s-%s', :client_id::integer, :n::integer),
        '+1' || :phone::bigint,
        format('bench%s.%s@example.com', :client_id::integer, :n::integer),
        'Bench Co', NULL, '{}', NULL, NULL, NULL, NULL)
ON CONFLICT (phone) DO NOTHING
RETURNING l.id AS new_id \gset
SELECT row_to_json(v)::text FROM api_lead_view AS v WHERE v.id = :new_id;
