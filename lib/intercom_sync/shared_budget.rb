# frozen_string_literal: true

require "digest/sha1"
require "securerandom"

module IntercomSync
  # The rate-limit budget every process of the app shares, kept in Redis
  # (config.rate_limit_redis_url; off by default). Intercom's limit is per app, but a process
  # only knows its own requests in flight: N processes that each pace alone send up to N times
  # what the window has left once it runs low, and the overshoot comes back as 429s. Here every
  # request reserves a slot in one record (the window Intercom last reported, the requests in
  # flight in every process, the next paced slot) with the same rule the C core applies inside a
  # process (isync_retry.c), and gives it back with its answer's X-RateLimit-* headers.
  #
  # One per client (a client runs one request at a time, so it has one reservation at most),
  # each with its own connection. The C core calls #reserve and #done around each request
  # (rb_isync_shared_budget.c) and waits for the later of this slot and the process's own.
  # Redis failing never fails a sync: the process paces alone, says so once, and tries Redis
  # again after PAUSE_AFTER_FAILURE seconds.
  class SharedBudget
    LOW_WATER_DIVISOR = 4       # as isync_retry.c: pace once less than a quarter is left
    RESET_JITTER_MS = 250
    MAX_SANE_RESET_MS = 15 * 60 * 1000
    KEY_TTL_MS = 10 * 60 * 1000 # an idle app's record goes away
    REDIS_TIMEOUT = 0.25        # s: Redis is slower than this only when something is wrong
    PAUSE_AFTER_FAILURE = 5     # s

    # KEYS: the window (hash), the reservations in flight (sorted set, scored by expiry).
    # ARGV: now_ms, random, hold_ms (a reservation's life: its request's timeout and more), member.
    RESERVE = <<~LUA
      local window, in_flight = KEYS[1], KEYS[2]
      local now, random, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
      redis.call('ZREMRANGEBYSCORE', in_flight, '-inf', now)
      local w = redis.call('HMGET', window, 'limit', 'remaining', 'reset', 'next')
      local limit, remaining, reset, next_slot = tonumber(w[1]), tonumber(w[2]), tonumber(w[3]), tonumber(w[4]) or 0
      if reset and now >= reset then
        remaining, reset, next_slot = nil, nil, 0
        redis.call('HDEL', window, 'remaining', 'reset', 'next')
      end
      local slot = now
      if remaining and reset and limit and limit > 0 then
        local available = remaining - redis.call('ZCARD', in_flight)
        if available <= 0 then
          slot = reset + random % #{RESET_JITTER_MS}
        elseif available <= math.floor(limit / #{LOW_WATER_DIVISOR}) then
          slot = math.max(next_slot, now)
          redis.call('HSET', window, 'next', slot + math.floor((reset - now) / (available + 1)))
        end
      end
      redis.call('ZADD', in_flight, slot + hold, ARGV[4])
      redis.call('PEXPIRE', in_flight, #{KEY_TTL_MS})
      redis.call('PEXPIRE', window, #{KEY_TTL_MS})
      return slot - now
    LUA

    # ARGV: member, then (when the answer had headers) limit, remaining, reset_ms.
    DONE = <<~LUA
      local window, in_flight = KEYS[1], KEYS[2]
      redis.call('ZREM', in_flight, ARGV[1])
      if not ARGV[2] then return 0 end
      local limit, remaining, reset = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
      local known = tonumber(redis.call('HGET', window, 'reset')) or -1
      if reset > known then
        redis.call('HSET', window, 'limit', limit, 'remaining', remaining, 'reset', reset)
      elseif reset == known and remaining < (tonumber(redis.call('HGET', window, 'remaining')) or remaining + 1) then
        redis.call('HSET', window, 'remaining', remaining)
      end
      redis.call('PEXPIRE', window, #{KEY_TTL_MS})
      return 1
    LUA

    @paused_until = 0.0
    @lock = Mutex.new

    @down = false

    class << self
      def paused?
        Process.clock_gettime(Process::CLOCK_MONOTONIC) < @paused_until
      end

      # Redis failed: every budget of the process stops asking it for a while. Logged when it
      # goes down, not at every retry while it stays down (the message never holds the URL,
      # which may hold a password).
      def pause(error, logger)
        went_down = @lock.synchronize do
          @paused_until = Process.clock_gettime(Process::CLOCK_MONOTONIC) + PAUSE_AFTER_FAILURE
          !@down.tap { @down = true }
        end
        return unless went_down

        logger.warn("[intercom_sync] the shared rate-limit budget in Redis is unusable (#{error.class}); " \
                    "pacing inside this process only, trying Redis again every #{PAUSE_AFTER_FAILURE} s")
      end

      # Redis answered: a later failure is news again. (Every request passes here: the lock is
      # taken only when Redis was down.)
      def up(logger)
        return unless @down

        came_back = @lock.synchronize { @down.tap { @down = false } }
        logger.info("[intercom_sync] the shared rate-limit budget in Redis is usable again") if came_back
      end

      def resume!
        @lock.synchronize do
          @paused_until = 0.0
          @down = false
        end
      end

      # Loaded when the setting is made (at boot), never inside the first syncs of a threaded process.
      def require_redis_client!
        require "redis_client"
      rescue LoadError
        raise ConfigurationError, "rate_limit_redis_url needs the redis-client gem (Sidekiq 7 depends on it): " \
                                  "add gem \"redis-client\" to the Gemfile"
      end
    end

    def initialize(url:, workspace_key:, hold_seconds:, logger:)
      self.class.require_redis_client!
      @redis = RedisClient.config(url: url, connect_timeout: REDIS_TIMEOUT, read_timeout: REDIS_TIMEOUT,
                                  write_timeout: REDIS_TIMEOUT, reconnect_attempts: 0).new_client
      # one hash slot for both keys (Redis Cluster): the workspace key inside {}
      @keys = ["intercom_sync:{#{workspace_key}}:window", "intercom_sync:{#{workspace_key}}:in_flight"]
      @hold_ms = (hold_seconds * 1000).ceil + 5000
      @owner = SecureRandom.hex(8)
      @count = 0
      @member = nil
      @logger = logger
    end

    # A wait in ms before the next request, or nil to pace inside the process only.
    def reserve(now_ms, random)
      return nil if self.class.paused?

      # the pid too: a forked child inherits @owner and @count
      member = "#{@owner}:#{Process.pid}:#{@count += 1}"
      wait = script(RESERVE, now_ms, random, @hold_ms, member)
      @member = member
      self.class.up(@logger)
      wait
    rescue RedisClient::Error => e
      self.class.pause(e, @logger)
      nil
    end

    # The reserved request is over; window: its answer's [limit, remaining, reset (s)], or nil.
    def done(now_ms, window)
      member = @member
      @member = nil
      return if member.nil?

      args = [member]
      args.push(window[0], window[1], window[2] * 1000) if sane?(window, now_ms)
      script(DONE, *args)
    rescue RedisClient::Error => e
      self.class.pause(e, @logger)
    end

    def close
      @redis.close
    end

    private

    def sane?(window, now_ms)
      limit, remaining, reset = window
      return false unless limit.is_a?(Integer) && remaining.is_a?(Integer) && reset.is_a?(Integer)

      limit.positive? && remaining >= 0 && (reset * 1000).between?(now_ms - 1000, now_ms + MAX_SANE_RESET_MS)
    end

    # EVALSHA, loading the script once per connection's server when it does not know it.
    def script(source, *args)
      sha = (@shas ||= {})[source] ||= Digest::SHA1.hexdigest(source)
      @redis.call("EVALSHA", sha, @keys.size, *@keys, *args)
    rescue RedisClient::CommandError => e
      raise unless e.message.start_with?("NOSCRIPT")

      @redis.call("EVAL", source, @keys.size, *@keys, *args)
    end
  end
end
