# frozen_string_literal: true

require "time"

module IntercomSync
  module Batch
    # A batch's progress as of one read of its record: the sums of its finished ranges' outcomes.
    class Summary
      LISTED_FAILURES = 50 # failed users listed, in range order

      # A range whose job could not run it, and why.
      GivenUp = Struct.new(:index, :first_id, :last_id, :reason) do
        def to_s
          "range #{index + 1} (ids #{first_id} to #{last_id}): #{reason}"
        end
      end

      attr_reader :id, :user_class, :description, :users, :ranges, :users_per_job, :ranges_done, :ranges_given_up, :ranges_running,
                  :refused, :succeeded, :failed, :requests, :failures, :given_up, :started_at, :finished_at

      # meta: the batch's record; done and started: { range index => entry } (Record).
      def initialize(meta, done, started)
        @id = meta["id"]
        @user_class = meta.dig("scope", "user_class")
        @description = meta["description"]
        @users = meta["users"]
        @ranges = meta["ranges"]
        @users_per_job = meta["users_per_job"]
        @refused = meta["refused"] || [] # [index, first_id, last_id] each
        @enqueued = meta["enqueued"]
        @started_at = Time.iso8601(meta["started_at"])
        tally(done)
        @ranges_running = (started.keys - done.keys).size
        @finished_at = done.values.map { |entry| Time.iso8601(entry["finished_at"]) }.max if finished?
      end

      # Every range has an outcome (given-up ones included).
      def finished?
        @ranges_done == @ranges
      end

      def enqueued?
        @enqueued + @refused.size >= @ranges
      end

      # Ranges enqueued that no job has started yet.
      def ranges_waiting
        [@ranges - @ranges_done - @ranges_running - @refused.size, 0].max
      end

      def failed?
        @failed.positive? || @ranges_given_up.positive? || !@refused.empty?
      end

      # Seconds from the enqueue to the last range's end, or to now.
      def elapsed(now = Time.now)
        (@finished_at || now) - @started_at
      end

      private

      def tally(done)
        @ranges_done = done.size
        @succeeded = @failed = @requests = @ranges_given_up = 0
        @failures = []
        @given_up = []
        done.sort_by(&:first).each do |index, entry|
          @succeeded += entry["succeeded"].to_i
          @failed += entry["failed"].to_i
          @requests += entry["requests"].to_i
          @failures.concat(Array(entry["failures"]).first(LISTED_FAILURES - @failures.size))
          next unless entry["given_up"]

          @ranges_given_up += 1
          @given_up << GivenUp.new(index, entry["first_id"], entry["last_id"], entry["given_up"])
        end
      end
    end
  end
end
