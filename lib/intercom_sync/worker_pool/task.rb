# frozen_string_literal: true

module IntercomSync
  class WorkerPool
    # One job on a pooled worker: what it returned or raised, given to whoever waits for it.
    class Task
      attr_reader :name

      def initialize(name, callable, notify)
        @name = name
        @callable = callable
        @notify = notify
        @lock = Mutex.new
        @over = ConditionVariable.new
        @state = :queued
      end

      # (Worker) Set when the task is handed over, before the worker may start it.
      attr_accessor :worker

      # (Worker) Runs the job on the worker's thread. Every error is kept for value, as
      # Thread#value keeps a thread's: the worker goes on to its next task.
      def run
        Thread.current.name = "intercom_sync bulk #{@name}"
        @value = @callable.call
      rescue Exception => e # rubocop:disable Lint/RescueException -- handed to the caller, as Thread#value does
        @error = e
      end

      # (Worker) The job is over and its worker back in the pool (or ending).
      def finish
        @lock.synchronize do
          @state = :over
          @over.broadcast
        end
        @notify&.push(self)
      end

      # (Worker) Its thread ended inside the job, killed by another than cancel.
      def abandon
        return if over?

        @error ||= ThreadError.new("the intercom_sync worker thread running #{@name} was killed")
        finish
      end

      # Waits for the job; returns what it returned, or raises what it raised.
      def value
        @lock.synchronize { @over.wait(@lock) until @state == :over }
        raise @error if @error

        @value
      end

      def over?
        @lock.synchronize { @state == :over }
      end

      # Stops the job: kills its worker if it is still on it (the worker never comes back to the
      # pool) and waits for the thread to end, or for the job to be over when it was ending by
      # itself. Returns true when it killed the worker.
      def cancel
        return true if worker.cancel(self)

        @lock.synchronize { @over.wait(@lock) until @state == :over }
        false
      end
    end
  end
end
