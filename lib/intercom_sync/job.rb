# frozen_string_literal: true

require "active_job"
require "intercom_sync"

# The seed's job, now calling the native sync. An app that defines its own
# SyncWithIntercomJob keeps it; this one is defined only when none exists.
#
# Failures are sorted, never swallowed silently:
# - a rate limit reschedules the job for when Intercom's window refills, instead of holding a
#   worker thread asleep (the sync runs with rate_limit: :raise);
# - transient failures (network, 5xx, garbled answers, a busy client) retry with growing waits;
# - permanent rejections (bad token, missing scope, data Intercom refuses, an email that belongs
#   to another contact, a configuration error) are discarded with an error in the log: retrying
#   cannot help, and an admin must act.
unless defined?(SyncWithIntercomJob)
  class SyncWithIntercomJob < ActiveJob::Base
    queue_as :crm_sync

    TRANSIENT_ERRORS = [IntercomSync::TransportError, IntercomSync::ParseError, IntercomSync::ServerError,
                        IntercomSync::BusyError].freeze
    PERMANENT_ERRORS = [IntercomSync::AuthenticationError, IntercomSync::ForbiddenError,
                        IntercomSync::ConfigurationError, IntercomSync::InvalidInputError,
                        IntercomSync::BadRequestError, IntercomSync::UnprocessableEntityError,
                        IntercomSync::ConflictError, IntercomSync::EncodeError,
                        IntercomSync::ResponseTooLargeError].freeze
    RATE_LIMIT_ATTEMPTS = 25
    TRANSIENT_ATTEMPTS = 8

    # Handlers are matched last-declared first: the rate-limit rule wins over the others.
    discard_on(*PERMANENT_ERRORS) do |job, error|
      message = "[intercom_sync] #{job.class.name} #{job.job_id} gave up on #{job.arguments.first.inspect}: " \
                "#{error.class}: #{error.message}"
      job.logger.error(IntercomSync.configuration.redact(message))
    end
    retry_on(*TRANSIENT_ERRORS, attempts: TRANSIENT_ATTEMPTS, wait: ->(executions) { (executions**4) + 2 + rand(5) })
    rescue_from(IntercomSync::RateLimitError) do |error|
      raise error if executions >= RATE_LIMIT_ATTEMPTS

      retry_job(wait: error.retry_in + rand)
    end

    def perform(user)
      SyncWithIntercom.perform(user, rate_limit: :raise)
    end
  end
end
