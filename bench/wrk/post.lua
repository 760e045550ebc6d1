-- POST a valid form; every answer must be a 302 to the receipt.
-- Run by bench/http.py:
--   wrk ... -s bench/wrk/post.lua URL -- PATH COOKIE BODY RECEIPT_PREFIX
-- BODY holds SUBMISSIONKEY where each request puts a fresh UUID (a new form,
-- not a double submit), and each request comes from a random address
-- (X-Forwarded-For; the portal runs with PROXY_COUNT=1) so the rate limit
-- is checked on every POST but never reached.
local path, cookie, body_before, body_after, receipt
local threads = {}
local thread_number = 0
ok = 0
bad = 0

function setup(thread)
  thread_number = thread_number + 1
  thread:set("number", thread_number)
  table.insert(threads, thread)
end

function init(args)
  path, cookie, receipt = args[1], args[2], args[4]
  local at = string.find(args[3], "SUBMISSIONKEY", 1, true)
  if at then
    body_before = string.sub(args[3], 1, at - 1)
    body_after = string.sub(args[3], at + string.len("SUBMISSIONKEY"))
  else
    body_before, body_after = args[3], nil
  end
  math.randomseed(os.time() * 100 + (number or 0))
end

local function hex(n)
  local out = {}
  for i = 1, n do
    out[i] = string.format("%x", math.random(0, 15))
  end
  return table.concat(out)
end

local function uuid()
  return hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-a" .. hex(3) .. "-" .. hex(12)
end

function request()
  local body = body_before
  if body_after then
    body = body_before .. uuid() .. body_after
  end
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d",
      math.random(0, 255), math.random(0, 255), math.random(1, 254)),
  }
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and string.sub(location, 1, string.len(receipt)) == receipt then
    ok = ok + 1
  else
    bad = bad + 1
    if bad <= 3 then
      io.stderr:write(string.format("unexpected answer %d %s\n%s\n", status, location,
        string.sub(body or "", 1, 600)))
    end
  end
end

function done(summary, latency, requests)
  local saved, failed = 0, 0
  for _, thread in ipairs(threads) do
    saved = saved + thread:get("ok")
    failed = failed + thread:get("bad")
  end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d socket_errors=%d unexpected=%d p50_us=%d p99_us=%d redirects=%d\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    failed, latency:percentile(50), latency:percentile(99), saved))
end
