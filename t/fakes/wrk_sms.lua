-- wrk script: POST a Twilio-style form to the fake's Messages endpoint.
--   wrk -t2 -c200 -d5s -s t/fakes/wrk_sms.lua http://127.0.0.1:PORT
-- Every request gets a distinct To so the records look like a campaign.
local counter = 0
wrk.method = "POST"
wrk.path = "/2010-04-01/Accounts/ACtest/Messages.json"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic QUN0ZXN0OnRvay10ZXN0"   -- ACtest:tok-test

function request()
    counter = counter + 1
    local body = string.format("To=%%2B1555%07d&From=%%2B15550000001&Body=Hi+Jane%%2C+quick+note+about+Acme+Solar.+Reply+STOP+to+opt+out", counter % 10000000)
    return wrk.format(nil, nil, nil, body)
end

local codes = {}
function response(status, headers, body)
    codes[status] = (codes[status] or 0) + 1
end
