wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("KEY")
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"listing_id":"%s","customer_ref":"c-%d-%d","lines":[{"pool_id":"%s","quantity":1}]}', os.getenv("LISTING"), math.random(1,1000000000), counter, os.getenv("POOL"))
  return wrk.format(nil, "/v1/holds", nil, body)
end
