-- An authenticated GET with a DPoP-bound token: each request its token and a proof made
-- for it by bench/dpop.mjs, from this thread's own file ($BENCH_CALLS.<thread>), so that
-- no proof is sent twice. Run with BENCH_NO_TOKEN=1 (common.lua's tokens are Bearer).
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require("common")

local calls = {}
local next_call = 1

function init(args)
  for line in io.lines(os.getenv("BENCH_CALLS") .. "." .. thread_id) do
    local tab = line:find("\t", 1, true)
    if tab then calls[#calls + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) } end
  end
end

function request()
  local call = calls[next_call]
  -- Past the last, proofs come round again: replays, refused and counted as errors.
  next_call = next_call % #calls + 1
  return wrk.format("GET", wrk.path, {
    ["Authorization"] = "DPoP " .. call[1],
    ["DPoP"] = call[2],
  })
end
