-- POST /api/timesheets: one new entry per request (see `new_entry` in common.lua).
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require("common")

local counter = 0
function request()
  counter = counter + 1
  return new_entry(wrk.path, counter)
end
