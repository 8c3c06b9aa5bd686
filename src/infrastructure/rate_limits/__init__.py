"""Rate limiters: token buckets in Redis (one script call a check) or in this process."""
