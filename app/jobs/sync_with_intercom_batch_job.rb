# frozen_string_literal: true

require "intercom_sync/batch"

# One id range of a batch backfill (IntercomSync::Batch.start, or `rake intercom_sync:backfill
# BATCH_JOBS=1`): syncs the range's users with perform_all on whichever worker takes it, and
# records the outcome in the batch's shared record once (IntercomSync::Batch::RangeRun says what
# is counted, retried, raised or given up). Autoloaded by IntercomSync::Engine; elsewhere
# `require "intercom_sync/batch_job"`.
class SyncWithIntercomBatchJob < ActiveJob::Base
  queue_as :crm_sync

  # batch_id, index: the batch and the range's place in it; first_id, last_id: the range (both
  # included); spec: the users (user class, SCOPE, SINCE) and workers per job; carried: set on a
  # follow-up for the users that failed on a transient error.
  def perform(batch_id, index, first_id, last_id, spec = {}, carried = nil)
    follow_up = IntercomSync::Batch::RangeRun.new(batch_id, index, first_id, last_id, spec, carried, logger: logger).call
    return unless follow_up

    enqueued = self.class.set(wait: follow_up.wait).perform_later(batch_id, index, first_id, last_id, spec, follow_up.carried)
    unless enqueued && (!enqueued.respond_to?(:successfully_enqueued?) || enqueued.successfully_enqueued?)
      raise IntercomSync::Batch::EnqueueError, "the queue refused the follow-up job of batch #{batch_id} range #{index + 1}"
    end
    logger.info(format("[intercom_sync] %<job>s %<id>s: %<users>d user(s) of batch %<batch>s range %<range>d failed on " \
                       "transient errors; trying them again in %<wait>d s (attempt %<attempt>d of %<attempts>d)",
                       job: self.class.name, id: job_id, users: follow_up.users, batch: batch_id, range: index + 1,
                       wait: follow_up.wait, attempt: follow_up.carried["attempt"],
                       attempts: IntercomSync::Batch::RangeRun::ATTEMPTS))
  end
end
