-- A working day's mix: 9 week reads to 1 new entry, each request with a random person's
-- token. Every write retires the SQLite page cache, so this measures the read paths
-- under writes rather than the cache alone.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require("common")

local counter = 0
function request()
  counter = counter + 1
  if counter % 10 ~= 0 then
    return wrk.format("GET", wrk.path, token_headers())
  end
  local day = math.random(0, 1459)
  local date = os.date("!%Y-%m-%d", 1609459200 + day * 86400)
  local id = string.format("%08x-%04x-4%03x-8%03x-%012x", counter, thread_id or 0,
    math.random(0, 0xfff), math.random(0, 0xfff), math.random(0, 0x7fffffff))
  local body = string.format(
    '{"id":"%s","project":"ACME","date":"%s","minutes":1,"status":"draft"}', id, date)
  return wrk.format("POST", "/api/timesheets",
    token_headers({["Content-Type"] = "application/json"}), body)
end
