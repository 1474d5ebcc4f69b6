# frozen_string_literal: true

module IntercomSync
  class Emulator
    # Intercom's rate limit: a budget per app spread over fixed 10-second windows. The window
    # boundaries are aligned on the Unix clock so X-RateLimit-Reset is a whole second.
    class RateLimiter
      attr_accessor :limit
      attr_reader :window

      def initialize(limit:, window: 10, clock: -> { Time.now.to_f })
        @limit = limit
        @window = window
        @clock = clock
        @lock = Mutex.new
        @counts = Hash.new(0)
        @window_start = nil
      end

      # Counts one request for key; returns [allowed, limit, remaining, reset].
      def check(key)
        @lock.synchronize do
          start = (@clock.call / @window).floor * @window
          if start != @window_start
            @window_start = start
            @counts.clear
          end
          reset = start + @window
          used = @counts[key]
          return [false, @limit, 0, reset] if used >= @limit

          @counts[key] = used + 1
          [true, @limit, @limit - used - 1, reset]
        end
      end

      def reset!
        @lock.synchronize do
          @counts.clear
          @window_start = nil
        end
      end
    end
  end
end
