# frozen_string_literal: true

module IntercomSync
  module Tasks
    # ENQUEUE=1: SyncWithIntercomJob for each user, a batch at a time in id order, through
    # ActiveJob.perform_all_later (one round trip to the queue per batch where the adapter
    # supports it: Sidekiq, Solid Queue, GoodJob; Rails 7.1+), else one perform_later per job.
    class Enqueue
      def initialize(relation, batch_size:)
        @relation = relation
        @batch_size = batch_size
      end

      def self.job_class
        require "intercom_sync/job" unless defined?(::SyncWithIntercomJob)
        ::SyncWithIntercomJob
      end

      # Yields the ids of each batch's users and those whose job the backend refused.
      def each_batch
        job_class = self.class.job_class
        @relation.find_in_batches(batch_size: @batch_size) do |users|
          jobs = users.map { |user| job_class.new(user) }
          enqueue(jobs)
          refused = jobs.zip(users).reject { |job, _| job.successfully_enqueued? }.map { |_, user| user.id }
          yield users.map(&:id), refused
        end
      end

      private

      def enqueue(jobs)
        if ::ActiveJob.respond_to?(:perform_all_later)
          ::ActiveJob.perform_all_later(jobs)
        else
          jobs.each(&:enqueue)
        end
      end
    end
  end
end
