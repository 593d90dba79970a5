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
  return new_entry("/api/timesheets", counter)
end
