-- wrk script: POST a chat completion to the fake's OpenAI endpoint.
--   wrk -t2 -c500 -d5s -s t/fakes/wrk_llm.lua http://127.0.0.1:PORT
local counter = 0
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-test"

function request()
    counter = counter + 1
    local body = string.format('{"model":"gpt-4o-mini","temperature":0.7,"messages":[' ..
        '{"role":"system","content":"You are a friendly rep for Acme Solar panels. Write a short SMS."},' ..
        '{"role":"user","content":"name: Lead%d Doe\\ncompany: Initech"}]}', counter)
    return wrk.format(nil, nil, nil, body)
end
