-- GET the paths given after "--" in turn; counts answers other than 200.
-- Run by bench/http.py: wrk ... -s bench/wrk/get.lua URL -- /path1 /path2 ...
local paths = {}
local counter = 0
local threads = {}
bad = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for i, path in ipairs(args) do
    paths[i] = path
  end
  if #paths == 0 then
    paths = { "/" }
  end
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("bad")
  end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d socket_errors=%d unexpected=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    failed, latency:percentile(50), latency:percentile(99)))
end
