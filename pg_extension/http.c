/*-------------------------------------------------------------------------
 *
 * http.c
 *	  libcurl calls. An HttpCall is built in the caller's memory context;
 *	  SQL functions run it with smscamp_http_perform() (blocking), workers
 *	  add call->easy to a multi handle and call smscamp_http_finish() when
 *	  curl says it is done.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include "miscadmin.h"

#define HTTP_MAX_RESPONSE (1024 * 1024)

static bool curl_ready = false;

void
smscamp_http_global_init(void)
{
	if (curl_ready)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("smscamp: could not initialize libcurl")));
	curl_ready = true;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	HttpCall   *call = userdata;
	size_t		len = size * nmemb;

	if (call->response.len + len > HTTP_MAX_RESPONSE)
	{
		call->truncated = true;
		return 0;				/* makes curl stop with CURLE_WRITE_ERROR */
	}
	appendBinaryStringInfo(&call->response, data, len);
	return len;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	HttpCall   *call = userdata;
	size_t		len = size * nmemb;
	const char	name[] = "retry-after:";

	if (len > sizeof(name) - 1
		&& pg_strncasecmp(data, name, sizeof(name) - 1) == 0)
	{
		char	   *value = pnstrdup(data + sizeof(name) - 1,
									 len - (sizeof(name) - 1));
		long		seconds = strtol(value, NULL, 10);

		/* seconds only; an HTTP date falls back to our own backoff */
		if (seconds > 0 && seconds < 86400)
			call->retry_after_s = seconds;
		pfree(value);
	}
	return len;
}

HttpCall *
smscamp_http_new(const char *url, const char *body, long timeout_ms)
{
	HttpCall   *call = palloc0(sizeof(HttpCall));

	call->url = pstrdup(url);
	call->body = body ? pstrdup(body) : NULL;
	call->timeout_ms = timeout_ms;
	call->retry_after_s = -1;
	initStringInfo(&call->response);
	return call;
}

void
smscamp_http_header(HttpCall *call, const char *header)
{
	struct curl_slist *list = curl_slist_append(call->headers, header);

	if (list == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("smscamp: out of memory building an HTTP request")));
	call->headers = list;
}

/* create the easy handle with every option set; false on failure */
bool
smscamp_http_prepare(HttpCall *call)
{
	CURL	   *h;
	bool		ok = true;

	smscamp_http_global_init();
	h = curl_easy_init();
	if (h == NULL)
		return false;
	call->easy = h;

	ok &= curl_easy_setopt(h, CURLOPT_URL, call->url) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_PRIVATE, call) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, call->timeout_ms) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
						   Min(call->timeout_ms, 10000L)) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, call->errbuf) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_WRITEDATA, call) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_HEADERDATA, call) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_USERAGENT, "smscamp/0.1") == CURLE_OK;
	if (call->headers)
		ok &= curl_easy_setopt(h, CURLOPT_HTTPHEADER, call->headers) == CURLE_OK;
	if (call->body)
		ok &= curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->body) == CURLE_OK;
	if (call->userpwd)
	{
		ok &= curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC) == CURLE_OK;
		ok &= curl_easy_setopt(h, CURLOPT_USERPWD, call->userpwd) == CURLE_OK;
	}
	return ok;
}

/* after curl is done with the handle: status, timings, whether it was sent */
void
smscamp_http_finish(HttpCall *call)
{
	long		status = 0;
	long		request_size = 0;
	double		total = 0;

	if (curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
		call->status = status;
	if (curl_easy_getinfo(call->easy, CURLINFO_REQUEST_SIZE, &request_size) == CURLE_OK)
		call->request_sent = request_size > 0;
	else
		call->request_sent = true;	/* cannot tell: assume it was */
	if (curl_easy_getinfo(call->easy, CURLINFO_TOTAL_TIME, &total) == CURLE_OK)
		call->seconds = total;
	if (call->truncated)
		call->status = 0;
}

void
smscamp_http_perform(HttpCall *call)
{
	if (!smscamp_http_prepare(call))
	{
		call->result = CURLE_FAILED_INIT;
		return;
	}
	call->result = curl_easy_perform(call->easy);
	smscamp_http_finish(call);
}

void
smscamp_http_free(HttpCall *call)
{
	if (call->easy)
		curl_easy_cleanup(call->easy);
	if (call->headers)
		curl_slist_free_all(call->headers);
	call->easy = NULL;
	call->headers = NULL;
}

/* a short, secret-free description of what went wrong */
const char *
smscamp_http_error(HttpCall *call)
{
	if (call->truncated)
		return "response too large";
	if (call->result != CURLE_OK)
		return psprintf("%s", curl_easy_strerror(call->result));
	return psprintf("HTTP %ld", call->status);
}
