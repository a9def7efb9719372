-- Metrics API (contract: sql/README.md).
--
--   GET /metrics   api.metrics()   (location = /metrics { smscamp_metrics; })
--
-- The engine's part of the Prometheus text: the counters the extension keeps
-- in shared memory (smscamp_metrics_text(), pg_extension/metrics.c). The nginx
-- module writes its own counters first and appends this body as it is; who may
-- scrape (loopback, or an admin API key) is decided by the module.
--
-- plpgsql, so that a database whose extension predates smscamp_metrics_text()
-- still loads this file: the scrape then says smscamp_engine_metrics_up 0.

CREATE OR REPLACE FUNCTION api.metrics(OUT status integer, OUT body text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    status := 200;
    IF to_regprocedure('smscamp_metrics_text()') IS NULL THEN
        body := E'# HELP smscamp_engine_metrics_up 1 when the engine''s shared memory metrics are available.\n'
             || E'# TYPE smscamp_engine_metrics_up gauge\n'
             || E'smscamp_engine_metrics_up 0\n';
        RETURN;
    END IF;
    body := smscamp_metrics_text();
END
$$;

CALL smscamp_secure_api();
