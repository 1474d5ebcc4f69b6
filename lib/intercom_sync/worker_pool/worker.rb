# frozen_string_literal: true

module IntercomSync
  class WorkerPool
    # One thread of the pool: it runs the tasks handed to it one after the other, keeping its
    # client (IntercomSync.thread_client) and so its connections between them, and ends after
    # idle_timeout seconds without one, closing its client.
    #
    # Only a task may be interrupted: the thread runs with interrupts deferred (Thread#kill
    # included) and takes them only inside a task, so a cancel (a kill) that comes as the task
    # ends can never land in the pool's bookkeeping, nor in the next run's task.
    class Worker
      attr_reader :thread

      def initialize(pool)
        @pool = pool
        @lock = Mutex.new
        @wake = ConditionVariable.new
        @pending = nil   # handed over, not started yet
        @current = nil   # from hand-over until done with it: what cancel may stop
        @cancelled = false
        @retired = false
        @thread = Thread.new { main }
        @thread.name = IDLE_NAME
      end

      def assign(task)
        task.worker = self
        @lock.synchronize do
          @pending = @current = task
          @wake.signal
        end
        task
      end

      # Kills the thread when it is still on the task, and waits for it to end; false when the
      # task is over already (or about to be, the worker on its way back to the pool).
      def cancel(task)
        killing = @lock.synchronize do
          next false unless @current.equal?(task)

          @cancelled = true
          @thread.kill
        end
        return false unless killing

        @thread.join
        true
      end

      # Ends an idle worker (the pool took it off its idle list first).
      def retire
        @lock.synchronize do
          @retired = true
          @wake.signal
        end
        self
      end

      def join
        @thread.join
      end

      private

      def main
        Thread.handle_interrupt(Object => :never) do
          task = nil
          while (task = next_task)
            Thread.handle_interrupt(Object => :immediate) { task.run }
            break unless done_with(task)

            Thread.current.name = IDLE_NAME
            kept = @pool.checkin(self)
            task.finish
            task = nil
            break unless kept
          end
        ensure
          @pool.forget(self)
          # killed inside its task by another than cancel (process exit, the app's code): whoever
          # waits for the task is told rather than left waiting
          task&.abandon
          IntercomSync.close_thread_clients
        end
      end

      # The next task; nil once idle for idle_timeout, retired, or interrupted: a kill while
      # idle (the process exiting) only wakes the wait, since interrupts are deferred here.
      def next_task
        @lock.synchronize do
          deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + @pool.idle_timeout
          until @pending
            return nil if @retired

            remaining = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
            remaining = 0 if Thread.pending_interrupt?
            if remaining.positive?
              @wake.wait(@lock, remaining)
            elsif @pool.retire?(self)
              return nil
            else
              @wake.wait(@lock) # checked out just now: its task is on the way
            end
          end
          @pending.tap { @pending = nil }
        end
      end

      # Past this, cancel leaves the task alone; false when it was cancelled (killed) first.
      def done_with(task)
        @lock.synchronize do
          return false if @cancelled

          @current = nil if @current.equal?(task)
          true
        end
      end
    end
  end
end
