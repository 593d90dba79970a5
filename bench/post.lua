-- POST /api/timesheets: one new 1-minute entry per request, for a random person on a
-- random day of 2021-2024 (far below 24 h per person and day), with a unique client id.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require("common")

local counter = 0
function request()
  counter = counter + 1
  local day = math.random(0, 1459)
  local date = os.date("!%Y-%m-%d", 1609459200 + day * 86400)
  -- Unique per run: thread, counter, and random bits.
  local id = string.format("%08x-%04x-4%03x-8%03x-%012x", counter, thread_id or 0,
    math.random(0, 0xfff), math.random(0, 0xfff), math.random(0, 0x7fffffff))
  local body = string.format(
    '{"id":"%s","project":"ACME","date":"%s","minutes":1,"status":"draft"}', id, date)
  return wrk.format("POST", wrk.path,
    token_headers({["Content-Type"] = "application/json"}), body)
end
