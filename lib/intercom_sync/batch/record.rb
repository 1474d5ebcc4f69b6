# frozen_string_literal: true

require "securerandom"
require "socket"
require "time"

module IntercomSync
  module Batch
    # A batch's progress, kept in a store every worker shares (an ActiveSupport::Cache::Store:
    # Rails.cache when the app's cache is Redis, Memcached or Solid Cache), under
    #   intercom_sync:batch:ID           what the batch is (scope, users, ranges, when it started)
    #   intercom_sync:batch:ID:started:N the last time a job started range N (where, which attempt)
    #   intercom_sync:batch:ID:done:N    range N's outcome: users succeeded and failed, requests,
    #                                    the first failed ids with their error's class
    #
    # A range's outcome is written once, as a whole, with `unless_exist` (Redis SET NX, Memcached
    # add): the job that finishes a range first records it, and a retried or twice-delivered job
    # is not counted again. The totals are the sum of the ranges' outcomes, read when asked
    # (read_multi): no counter to drift when a process dies between two writes.
    class Record
      PREFIX = "intercom_sync:batch"
      TTL = 30 * 86_400 # seconds the record is kept after its last write
      READ_SLICE = 500  # keys per read_multi

      # A new batch, recorded (and remembered as the latest) before any of its jobs is enqueued.
      def self.create(store:, scope:, description:, users:, ranges:, users_per_job:, concurrency: nil)
        Batch.check_store!(store)
        id = "#{Time.now.utc.strftime('%Y%m%dT%H%M%S')}-#{SecureRandom.hex(3)}"
        meta = { "id" => id, "scope" => scope, "description" => description, "users" => users, "ranges" => ranges,
                 "users_per_job" => users_per_job, "concurrency" => concurrency, "started_at" => Time.now.utc.iso8601(3), "enqueued" => 0,
                 "refused" => [] }
        record = new(id, meta, store)
        record.save
        store.write("#{PREFIX}:latest", id, expires_in: TTL)
        record
      end

      # The batch with that id, or nil when the store has none (unknown, or expired).
      def self.find(id, store: Batch.store)
        meta = store.read("#{PREFIX}:#{id}")
        meta && new(id, meta, store)
      end

      def self.latest(store: Batch.store)
        id = store.read("#{PREFIX}:latest")
        id && find(id, store: store)
      end

      attr_reader :id, :meta

      def initialize(id, meta, store)
        @id = id
        @meta = meta
        @store = store
      end

      def save
        @store.write(key, @meta, expires_in: TTL)
      end

      # After the jobs went to the queue: how many it took, and the ranges it refused
      # ([index, first_id, last_id] each).
      def enqueued!(count, refused)
        @meta = @meta.merge("enqueued" => count, "refused" => refused)
        save
      end

      # The arguments of a range's job after its index and bounds: the users and workers per job.
      def job_spec
        @meta["scope"].merge("concurrency" => @meta["concurrency"])
      end

      # Forgets range `index`'s outcome (and its last start), so that a job enqueued again for it
      # counts, and the range shows as waiting until it starts.
      def reopen(index)
        @store.delete(key("started", index))
        @store.delete(key("done", index))
      end

      def done?(index)
        @store.exist?(key("done", index))
      end

      def started!(index, first_id:, last_id:, attempt:)
        @store.write(key("started", index), { "at" => Time.now.utc.iso8601(3), "host" => host, "attempt" => attempt,
                                              "first_id" => first_id, "last_id" => last_id }, expires_in: TTL)
      end

      # Records range `index`'s outcome, unless a job recorded it first; true when this one did.
      # A store that did not answer (Rails 7.1+ stores return nil, not false, for an error) raises
      # StoreError: the range is then synced again on the queue's retry, never left uncounted.
      def finish_range(index, outcome)
        entry = outcome.merge("finished_at" => Time.now.utc.iso8601(3), "host" => host)
        written = @store.write(key("done", index), entry, unless_exist: true, expires_in: TTL)
        raise StoreError, "the batch store (#{@store.class.name}) could not record range #{index + 1} of batch #{@id}" if written.nil?

        written ? true : false
      end

      def summary
        Summary.new(@meta, read_ranges("done"), read_ranges("started"))
      end

      private

      def key(*parts)
        [PREFIX, @id, *parts].join(":")
      end

      # { index => entry } for the ranges that have one.
      def read_ranges(kind)
        (0...@meta["ranges"]).each_slice(READ_SLICE).with_object({}) do |indexes, found|
          keys = indexes.to_h { |i| [key(kind, i), i] }
          @store.read_multi(*keys.keys).each { |k, entry| found[keys[k]] = entry }
        end
      end

      def host
        "#{Socket.gethostname} pid #{Process.pid}"
      end
    end
  end
end
