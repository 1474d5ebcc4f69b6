# frozen_string_literal: true

module IntercomSync
  # ActiveSupport::Notifications events, when ActiveSupport is loaded (nothing otherwise: the
  # gem does not depend on it):
  #
  # - request.intercom_sync, for each request to Intercom: method, path (the template:
  #   "/contacts/{id}", never an id or a query), status (nil when no answer came), retries,
  #   waited_ms (pacing and backoff inside it), rate_limit_limit, rate_limit_remaining, and
  #   error_class (a String, nil on success).
  # - sync.intercom_sync, for each sync of one user (perform, plan, and each user of
  #   perform_all): user_id (the app's), contact_id (Intercom's), created, dry_run,
  #   fields_pushed, fields_pulled (names), requests, retries, and error_class.
  #
  # Payloads carry ids, names of fields and counts: never the token, an email or a value.
  #
  # The requests are made inside the C core, with the GVL released, where Ruby must not be
  # called: the core records each in a bounded trace (Native::TRACE_MAX a call) and its events
  # are published when the call returns, with the times the core measured, so their start and
  # end fall inside the sync's. That is ActiveSupport's own way for work done elsewhere
  # (ActiveRecord publishes async queries' events so). When nobody subscribes, no trace is kept.
  module Instrumentation
    REQUEST = "request.intercom_sync"
    SYNC = "sync.intercom_sync"

    module_function

    # Whether anyone subscribed to the event: false without ActiveSupport.
    def listening?(name)
      return false unless defined?(::ActiveSupport::Notifications)

      notifications = ::ActiveSupport::Notifications
      notifications.respond_to?(:publish_event) && notifications.notifier.listening?(name)
    end

    # Runs the block (native calls on client) and, when someone listens, publishes the requests
    # it made afterwards, whether it returned or raised.
    def requests(client)
      return yield unless listening?(REQUEST)

      client.__send__(:trace_start)
      begin
        yield
      rescue Exception => e # any exception: only noted, then raised again
        unwound = e
        raise
      ensure
        publish_requests(client, unwound)
      end
    end

    # Runs the block, one sync of user, and publishes its event when someone listens. The block
    # returns [result Hash or nil, error or nil] (Sync's raw outcome); this returns the same.
    def sync(user, config, dry_run)
      return yield unless listening?(SYNC)

      started = now
      begin
        raw, error = outcome = yield
      rescue Exception => e # any exception: only noted, then raised again
        error = e
        raise
      ensure
        publish(SYNC, started, now, sync_payload(user, config, dry_run, raw, error))
      end
      outcome
    end

    def sync_payload(user, config, dry_run, raw, error)
      raw ||= {}
      { user_id: user_id(user, config), contact_id: raw["contact_id"], created: raw["created"] ? true : false,
        dry_run: dry_run ? true : false, fields_pushed: raw["fields_pushed"] || [],
        fields_pulled: raw["fields_pulled"] || [], requests: raw["requests"] || 0, retries: raw["retries"] || 0,
        error_class: error&.class&.name }
    end

    # The app's id of the user; nil when the model cannot say (that error is the sync's to raise).
    def user_id(user, config)
      Snapshot.read(user, config.user_attributes[:id])
    rescue StandardError
      nil
    end

    def publish_requests(client, unwound)
      return if client.closed?

      entries, dropped = client.__send__(:trace_take)
      entries.each do |started, finished, payload, interrupted|
        payload[:error_class] = unwound&.class&.name if interrupted
        publish(REQUEST, started, finished, payload)
      end
      return unless dropped.positive?

      IntercomSync.configuration.logger.debug do
        "[intercom_sync] #{dropped} more requests of one call were not published (at most #{Native::TRACE_MAX})"
      end
    end

    # start and finish: seconds on the monotonic clock, as ActiveSupport's own events. A
    # subscriber that raises is the app's bug, said once per event name in the log: raised here,
    # it would replace the sync's outcome before the ids it learned are saved.
    def publish(name, start, finish, payload)
      notifications = ::ActiveSupport::Notifications
      event = notifications::Event.new(name, start, finish, notifications.instrumenter.id, payload)
      notifications.publish_event(event)
    rescue StandardError => e
      config = IntercomSync.configuration
      return unless config.first_time?([:subscriber_error, name])

      config.logger.error("[intercom_sync] a subscriber to #{name} raised #{e.class}: #{e.message} " \
                          "(ignored, the sync went on; said once per process)")
    end

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
end
