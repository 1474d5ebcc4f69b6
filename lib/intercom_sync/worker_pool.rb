# frozen_string_literal: true

require_relative "worker_pool/task"
require_relative "worker_pool/worker"

module IntercomSync
  # The process's worker threads for bulk syncs (Bulk), kept between runs. A long-lived process
  # (a Sidekiq worker calling perform_all every few minutes) used to start and end `concurrency`
  # threads a run, each with a new client: a new libcurl handle, new connections and TLS
  # sessions, and with glibc, memory spread over more malloc arenas run after run (RSS grew by
  # 37 MB over 40 runs at concurrency 16). A pooled worker keeps its thread and its client, so
  # the next run starts on warm connections.
  #
  # A run borrows distinct workers (start) and never waits for one: when none is idle it starts
  # a new one, so two callers at once each get theirs and neither can deadlock the other. A
  # worker done with its task comes back idle; one idle for idle_timeout seconds ends and closes
  # its client. The pool keeps at most as many workers as were ever busy at once (the largest
  # run's concurrency, plus its feeder, for a process that runs one at a time), and never more
  # than max_workers: those beyond end when their task does.
  #
  # A worker is cancelled (Task#cancel) by being killed, as Bulk's threads always were: a cancelled
  # run's worker never comes back, so nothing of that run reaches the next one. Threads do not
  # survive fork: a forked child gets a pool of its own (shared).
  class WorkerPool
    # Seconds a worker waits idle for its next task before it ends.
    IDLE_TIMEOUT = 60.0

    # The most workers the pool keeps (Bulk's largest concurrency).
    MAX_WORKERS = 256

    # Every thread of the pool has this name while it waits for a task.
    IDLE_NAME = "intercom_sync idle worker"

    SHARED_LOCK = Mutex.new
    private_constant :SHARED_LOCK

    class << self
      # The process's pool; a new one in a forked child (the parent's threads are not there).
      def shared
        pool = @shared
        return pool if pool&.owned?

        SHARED_LOCK.synchronize do
          @shared = new unless @shared&.owned?
          @shared
        end
      end

      # Replaces the process's pool (a benchmark, or a test that needs a short idle_timeout); the
      # one it replaces is shut down. nil: a new default pool on next use.
      def shared=(pool)
        old = SHARED_LOCK.synchronize { @shared.tap { @shared = pool } }
        old.shutdown if old&.owned? && !old.equal?(pool)
      end
    end

    attr_reader :idle_timeout, :max_workers

    def initialize(idle_timeout: IDLE_TIMEOUT, max_workers: MAX_WORKERS)
      raise ArgumentError, "idle_timeout must be a number >= 0" unless idle_timeout.is_a?(Numeric) && idle_timeout >= 0
      raise ArgumentError, "max_workers must be between 1 and #{MAX_WORKERS}" unless (1..MAX_WORKERS).cover?(max_workers)

      @idle_timeout = idle_timeout
      @max_workers = max_workers
      @pid = Process.pid
      @lock = Mutex.new
      @idle = [] # a stack: the worker used last goes first (its connections are the warmest)
      @workers = []
    end

    # Whether this process made the pool (a forked child must not use its parent's).
    def owned?
      @pid == Process.pid
    end

    # Starts each job on a worker of its own: jobs are [name, callable] pairs. A task's worker
    # pushes the task into its notify queue (when given) once the task is over and the worker
    # is back in the pool. Returns the Tasks, in the jobs' order.
    def start(jobs, notify: nil)
      raise Error, "a worker pool is not used across fork (#{@pid} made it)" unless owned?

      tasks = jobs.map { |name, callable| Task.new(name, callable, notify) }
      checkout(tasks.size).zip(tasks).map { |worker, task| worker.assign(task) }
    end

    # How many workers are alive (idle and busy).
    def size
      @lock.synchronize { @workers.size }
    end

    def idle_count
      @lock.synchronize { @idle.size }
    end

    # The workers' threads (specs, benchmarks).
    def threads
      @lock.synchronize { @workers.map(&:thread) }
    end

    # Ends the idle workers and waits for them; busy ones end when their task does. A later
    # start opens the pool again.
    def shutdown
      workers = @lock.synchronize do
        @shutdown = true
        @idle.dup.tap { @idle.clear }
      end
      workers.each(&:retire).each(&:join)
      nil
    end

    # (Worker) Takes a worker done with its task back; false when it is to end instead (the
    # pool is full, or shut down).
    def checkin(worker)
      @lock.synchronize do
        if @shutdown || @idle.size >= @max_workers
          @workers.delete(worker)
          return false
        end

        @idle.push(worker)
        true
      end
    end

    # (Worker) An idle worker whose time is up leaves, unless it was just handed a task.
    def retire?(worker)
      @lock.synchronize do
        next false unless @idle.delete(worker)

        @workers.delete(worker)
        true
      end
    end

    # (Worker) A worker's thread is ending.
    def forget(worker)
      @lock.synchronize do
        @idle.delete(worker)
        @workers.delete(worker)
      end
    end

    private

    # Idle workers, and new ones for the rest.
    def checkout(count)
      @lock.synchronize do
        @shutdown = false
        taken = @idle.pop(count).reverse
        fresh = Array.new(count - taken.size) { Worker.new(self) }
        @workers.concat(fresh)
        taken + fresh
      end
    end
  end
end
