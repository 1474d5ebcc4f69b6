# frozen_string_literal: true

# The seed's job, calling the native sync. In a Rails app IntercomSync::Engine autoloads it from
# here, and an app's own app/jobs/sync_with_intercom_job.rb takes its place (Zeitwerk loads the
# first of the two in the autoload paths, the app's); elsewhere `require "intercom_sync/job"`.
#
# Failures are sorted, never swallowed silently, by Error#transient?, read from the error table
# (ext/intercom_sync/isync_errors.def) that the client's own retries follow too:
# - a rate limit reschedules the job for when Intercom's window refills, instead of holding a
#   worker thread asleep (the sync runs with rate_limit: :raise);
# - transient failures (network, most 5xx, 408, garbled answers, a busy client) retry with
#   growing waits, then are raised for the queue backend to record;
# - permanent ones (bad token, missing scope, data Intercom refuses, an email that belongs to
#   another contact, a redirect, a 404, a configuration error) are discarded with an error in
#   the log: retrying cannot help, and an admin must act;
# - a user deleted before the job ran is discarded with one line in the log.
# Anything else (the app's own errors) is left to the queue backend.
class SyncWithIntercomJob < ActiveJob::Base
  queue_as :crm_sync

  RATE_LIMIT_ATTEMPTS = 25
  TRANSIENT_ATTEMPTS = 8

  rescue_from(IntercomSync::Error) do |error|
    if error.is_a?(IntercomSync::RateLimitError)
      raise error if executions >= RATE_LIMIT_ATTEMPTS

      reschedule(error, error.retry_in + rand, "rate limited", RATE_LIMIT_ATTEMPTS)
    elsif error.transient?
      raise error if executions >= TRANSIENT_ATTEMPTS

      reschedule(error, (executions**4) + 2 + rand(5), error.http_status ? "HTTP #{error.http_status}" : "transient failure",
                 TRANSIENT_ATTEMPTS)
    else
      logger.error(IntercomSync.configuration.redact(
                     "[intercom_sync] #{self.class.name} #{job_id} gave up on #{user_label}: #{error.class}: #{error.message}"
                   ))
    end
  end

  # Only a record that is gone: a database that is down is the backend's to retry.
  rescue_from(ActiveJob::DeserializationError) do |error|
    missing = error.cause
    raise error unless defined?(ActiveRecord::RecordNotFound) && missing.is_a?(ActiveRecord::RecordNotFound)

    logger.info("[intercom_sync] #{self.class.name} #{job_id}: #{missing.model || 'its user'} #{missing.id} " \
                "no longer exists; nothing to sync, discarded")
  end

  def perform(user)
    SyncWithIntercom.perform(user, rate_limit: :raise)
  end

  private

  # Says why, at info: otherwise the log shows only ActiveJob's "Enqueued ... at <time>". The
  # reason is a status or a class, never the error's message, which may quote the server.
  def reschedule(error, wait, reason, attempts)
    retry_job(wait: wait)
    logger.info(format("[intercom_sync] %<job>s %<id>s rescheduled in %<wait>.1f s: %<reason>s (%<error>s), %<user>s, " \
                       "attempt %<attempt>d of %<attempts>d",
                       job: self.class.name, id: job_id, wait: wait, reason: reason, error: error.class.name,
                       user: user_label, attempt: executions, attempts: attempts))
  end

  # The user by class and id: the record's inspect would put all its columns in the log.
  def user_label
    user = arguments.first
    user.respond_to?(:id) ? "#{user.class.name} #{user.id}" : user.class.name
  end
end
