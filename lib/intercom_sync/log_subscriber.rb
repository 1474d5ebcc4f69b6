# frozen_string_literal: true

require "active_support"
require "active_support/log_subscriber"

module IntercomSync
  # Logs the gem's events (IntercomSync::Instrumentation) at debug, one line each, to the gem's
  # logger (config.logger: Rails.logger in a Rails app):
  #
  #   [intercom_sync] GET /contacts/find_by_external_id/{id} 404 IntercomSync::NotFoundError (1.9ms, 998/1000 left)
  #   [intercom_sync] POST /contacts 200 (3.1ms, 997/1000 left)
  #   [intercom_sync] synced user 42 (contact 6650f0..., created) in 12.4ms, 3 requests; pushed email, name
  #
  # Attached when this file is loaded (the engine loads it; lib/intercom_sync.rb too when
  # ActiveSupport is loaded first). With a logger above debug the events count as silenced, so
  # the C core keeps no trace of the requests at all.
  class LogSubscriber < ActiveSupport::LogSubscriber
    # ActiveSupport 7.1+: skip the work (and the trace) unless the logger shows debug lines.
    if respond_to?(:subscribe_log_level, true)
      subscribe_log_level :request, :debug
      subscribe_log_level :sync, :debug
    end

    # Attaches it to the gem's events, once however often it is called.
    def self.attach
      attach_to(:intercom_sync) unless subscribers.any? { |s| s.instance_of?(self) }
    end

    def logger
      IntercomSync.configuration.logger
    end

    def request(event)
      p = event.payload
      debug do
        outcome = [p[:status], p[:error_class]].compact.join(" ")
        "[intercom_sync] #{p[:method]} #{p[:path]} #{outcome.empty? ? 'no answer' : outcome} " \
          "(#{[ms(event.duration), *request_details(p)].join(', ')})"
      end
    end

    def sync(event)
      p = event.payload
      debug do
        "[intercom_sync] #{sync_head(p)}#{sync_contact(p)} in #{ms(event.duration)}, #{count(p[:requests], 'request')}" \
          "#{", #{count(p[:retries], 'retry', 'retries')}" if p[:retries].positive?}#{sync_fields(p)}"
      end
    end

    private

    def sync_head(payload)
      if payload[:error_class]
        "#{payload[:dry_run] ? 'plan' : 'sync'} of user #{payload[:user_id]} failed with #{payload[:error_class]}"
      else
        "#{payload[:dry_run] ? 'planned' : 'synced'} user #{payload[:user_id]}"
      end
    end

    def sync_contact(payload)
      about = []
      about << "contact #{payload[:contact_id]}" if payload[:contact_id]
      about << "created" if payload[:created]
      about.empty? ? "" : " (#{about.join(', ')})"
    end

    def sync_fields(payload)
      moved = []
      moved << "pushed #{payload[:fields_pushed].join(', ')}" if payload[:fields_pushed].any?
      moved << "pulled #{payload[:fields_pulled].join(', ')}" if payload[:fields_pulled].any?
      moved.empty? ? "" : "; #{moved.join('; ')}"
    end

    def request_details(payload)
      [(count(payload[:retries], "retry", "retries") if payload[:retries].positive?),
       ("waited #{payload[:waited_ms]}ms" if payload[:waited_ms].positive?),
       (if payload[:rate_limit_remaining]
          "#{payload[:rate_limit_remaining]}#{"/#{payload[:rate_limit_limit]}" if payload[:rate_limit_limit]} left"
        end)].compact
    end

    def ms(duration)
      format("%.1fms", duration)
    end

    def count(number, one, many = "#{one}s")
      "#{number} #{number == 1 ? one : many}"
    end
  end
end

IntercomSync::LogSubscriber.attach
