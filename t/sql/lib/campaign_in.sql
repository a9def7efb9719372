-- pg_temp.campaign_in(status, name, prompt, window): a new campaign taken to status (draft,
-- pending, processing or paused) through the allowed transitions, as a start and the workers
-- take it (draft -> pending -> processing, started_at set -> paused); its id.
CREATE FUNCTION pg_temp.campaign_in(p_status text, p_name text, p_prompt text, p_window text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
BEGIN
    INSERT INTO campaigns (name, sms_system_prompt, send_window)
    VALUES (p_name, p_prompt, p_window) RETURNING id INTO cid;
    IF p_status IN ('pending', 'processing', 'paused') THEN
        UPDATE campaigns SET status = 'pending' WHERE id = cid;
    END IF;
    IF p_status IN ('processing', 'paused') THEN
        UPDATE campaigns SET status = 'processing', started_at = now() WHERE id = cid;
    END IF;
    IF p_status = 'paused' THEN
        UPDATE campaigns SET status = 'paused' WHERE id = cid;
    END IF;
    RETURN cid;
END
$$;
