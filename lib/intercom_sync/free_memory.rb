# frozen_string_literal: true

module IntercomSync
  # Gives the memory a bulk run freed back to the system when the process's last bulk run
  # ends (config.release_memory_after_bulk). With glibc's malloc, what a run's threads free
  # stays mapped in their arenas: a long-lived worker calling perform_all every few minutes
  # grew its RSS by 18 MB over 40 runs of 500 users with memory it no longer used (rake
  # bench:long_lived). Native.release_free_memory returns those pages (glibc's malloc_trim, or a
  # purge of jemalloc's arenas when jemalloc is the process's malloc); it takes milliseconds,
  # without the GVL, once a run.
  #
  # Only the last of concurrent runs releases: one still running would soon map the pages
  # again. A forked child counts its own runs (the parent's are not running there).
  module FreeMemory
    @lock = Mutex.new
    @runs = 0
    @pid = Process.pid

    class << self
      # Runs the block as one bulk run.
      def after_run(config)
        started
        yield
      ensure
        Native.release_free_memory if ended && config.release_memory_after_bulk
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
    end
  end
end
