-- Shared by the wrk scripts: tokens from $BENCH_TOKENS (one per line), and a summary
-- line `BENCH {json}` that bench/run.py reads.
local tokens = {}
if os.getenv("BENCH_NO_TOKEN") == nil then
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
end

function token_headers(extra)
  local headers = extra or {}
  if #tokens > 0 then
    headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  end
  return headers
end

-- POST of one new 1-minute draft for a random person on a random day of 2021-2024 (far
-- below 24 h per person and day), with an id unique to this run (`n`: a counter).
function new_entry(path, n)
  local day = math.random(0, 1459)
  local date = os.date("!%Y-%m-%d", 1609459200 + day * 86400)
  local id = string.format("%08x-%04x-4%03x-8%03x-%012x", n, thread_id or 0,
    math.random(0, 0xfff), math.random(0, 0xfff), math.random(0, 0x7fffffff))
  local body = string.format(
    '{"id":"%s","project":"ACME","date":"%s","minutes":1,"status":"draft"}', id, date)
  return wrk.format("POST", path,
    token_headers({["Content-Type"] = "application/json"}), body)
end

-- Each thread its own random sequence (unique ids, spread tokens).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  math.randomseed(os.time() + 7919 * (thread_id or 0))
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'BENCH {"rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d, "requests": %d}\n',
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests))
end
