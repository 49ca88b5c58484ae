-- wrk script of the ExaProxy bench harness (bench/run drives it through environment variables).
--   BENCH_ORIGIN=127.0.0.1:PORT   absolute-form requests "GET http://ORIGIN/path" sent to the proxy
--                                 wrk connects to (empty: origin-form "GET /path", the direct baseline)
--   BENCH_CLOSE=1                 "Connection: close" on every request (one connection per request)
--   BENCH_NAMES=N BENCH_NAMESET=S BENCH_DOMAIN=D BENCH_ORIGIN_PORT=P
--                                 cycle through N host names hS-1.D:P .. hS-N.D:P (names workload)
--   BENCH_URLS=FILE               cycle through the absolute URLs of FILE (one a line), each sent
--                                 as "GET URL" with its own Host (filtering-chain workload)
--   BENCH_DELAY_MS=D              pace: wait a random 0.5D..1.5D ms before each request on a
--                                 connection (fixed moderate load; latency excludes the wait)
--   BENCH_PROXY_AUTHORIZATION=V   send "Proxy-Authorization: V" with every request (the auth
--                                 plugin's cost: the same load with and without credentials)
-- done() prints one machine-readable line starting with RESULT.
local function env(k, d) local v = os.getenv(k); if v == nil or v == "" then return d end; return v end
local origin   = env("BENCH_ORIGIN", "")
local close    = env("BENCH_CLOSE", "0") == "1"
local names    = tonumber(env("BENCH_NAMES", "0"))
local nameset  = env("BENCH_NAMESET", "0")
local domain   = env("BENCH_DOMAIN", "bench.test")
local oport    = env("BENCH_ORIGIN_PORT", "80")
local delay_ms = tonumber(env("BENCH_DELAY_MS", "0"))
local urls     = env("BENCH_URLS", "")
local proxy_auth = env("BENCH_PROXY_AUTHORIZATION", "")

local function headers_for(host)
  local h = { ["Host"] = host, ["User-Agent"] = "exabench-wrk" }
  if close then h["Connection"] = "close" end
  if proxy_auth ~= "" then h["Proxy-Authorization"] = proxy_auth end
  return h
end

if urls ~= "" then
  local reqs, n, i = {}, 0, 0
  for line in io.lines(urls) do
    local host = line:match("^%a+://([^/?#]+)")
    if host then
      n = n + 1
      reqs[n] = wrk.format("GET", line, headers_for(host))
    end
  end
  assert(n > 0, "no URL in " .. urls)
  request = function() i = i % n + 1; return reqs[i] end
elseif names > 0 then
  local reqs, i = {}, 0
  for k = 1, names do
    local host = string.format("h%s-%d.%s:%s", nameset, k, domain, oport)
    local target = (origin ~= "") and ("http://" .. host .. wrk.path) or wrk.path
    reqs[k] = wrk.format("GET", target, headers_for(host))
  end
  request = function() i = i % names + 1; return reqs[i] end
else
  local req
  if origin ~= "" then
    req = wrk.format("GET", "http://" .. origin .. wrk.path, headers_for(origin))
  else
    req = wrk.format("GET", wrk.path, headers_for(wrk.host .. ":" .. wrk.port))
  end
  request = function() return req end
end

if delay_ms > 0 then
  local lo = math.max(1, math.floor(delay_ms * 0.5 + 0.5))
  local hi = math.max(lo, math.floor(delay_ms * 1.5 + 0.5))
  math.randomseed(os.time())
  delay = function() return math.random(lo, hi) end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
    "p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f mean_us=%.1f\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
