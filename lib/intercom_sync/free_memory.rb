# frozen_string_literal: true

module IntercomSync
  # Gives the memory a bulk run freed back to the system when the process's last bulk run
  # ends (config.release_memory_after_bulk). With glibc's malloc, what a run's threads free
  # stays mapped in their arenas: a long-lived worker calling perform_all every few minutes
  # grew its RSS by 18 MB over 40 runs of 500 users with memory it no longer used (rake
  # bench:long_lived). Native.release_free_memory returns those pages (glibc's malloc_trim, or a
  # purge of jemalloc's arenas when jemalloc is the process's malloc), without the GVL.
  #
  # Only the last of concurrent runs releases: one still running would soon map the pages
  # again. A forked child counts its own runs (the parent's are not running there). The walk
  # takes about 2 ms in a 40 MB process but 160 ms in a fragmented 1 GB one: after one that took
  # longer than CHEAP, the next waits until it would be at most MAX_SHARE of the process's time.
  module FreeMemory
    # A release this quick is done after every run.
    CHEAP = 0.005

    # The most of the process's time spent on releases slower than CHEAP.
    MAX_SHARE = 0.01

    @lock = Mutex.new
    @runs = 0
    @pid = Process.pid
    @last_at = nil
    @last_cost = 0.0

    class << self
      # Runs the block as one bulk run.
      def after_run(config)
        # (an interrupt between the count and the run's start, or inside the count's ensure,
        # would leave it off for good: the process would never give memory back again)
        Thread.handle_interrupt(Object => :never) { started }
        begin
          yield
        ensure
          Thread.handle_interrupt(Object => :never) { release if ended && config.release_memory_after_bulk }
        end
      end

      # Forgets the runs and the last release (specs; a process that wants the next run to release).
      def reset!
        @lock.synchronize do
          @runs = 0
          @pid = Process.pid
          @last_at = nil
          @last_cost = 0.0
        end
      end

      private

      def started
        @lock.synchronize do
          unless @pid == Process.pid
            @pid = Process.pid
            @runs = 0
          end
          @runs += 1
        end
      end

      # Whether the run that ended was the last one running.
      def ended
        @lock.synchronize do
          @runs -= 1 if @runs.positive?
          @runs.zero?
        end
      end

      def release
        now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        return if @last_at && @last_cost > CHEAP && now - @last_at < @last_cost / MAX_SHARE

        Native.release_free_memory
        @last_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        @last_cost = @last_at - now
      end
    end
  end
end
