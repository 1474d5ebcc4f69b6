# frozen_string_literal: true

require "ipaddr"
require "monitor"
require "uri"
require "intercom_sync"
require "intercom_sync/emulator"

module IntercomSync
  # Test mode for an app's own tests (README "Testing your app"). libcurl does not go through
  # WebMock or VCR, so this is what keeps an app's tests off the network:
  # - one embedded emulator per test process, started on first use and stopped at exit (a
  #   forked test worker starts its own);
  # - before each test (setup): the gem's configuration points at it, whatever ENV or the
  #   app's initializer say (base URL and token), with the sync on; the emulator's workspace,
  #   request log and faults are emptied, and so are the gem's per-process caches
  #   (IntercomSync.clear_caches!), so every test starts as a fresh process would;
  # - while active, a request to anything but loopback raises RealHostError before any
  #   connection is made, whatever re-pointed the configuration or a client.
  #
  # intercom_sync/testing/rspec and intercom_sync/testing/minitest install it in a test suite.
  module Testing
    # A request to a host that is not loopback while the test mode is on. Not an
    # IntercomSync::Error on purpose: the job and an app's `rescue IntercomSync::Error` must not
    # file it away as a failed sync; the test has to fail.
    class RealHostError < StandardError; end

    LOOPBACK_NAMES = %w[localhost].freeze

    @lock = Monitor.new
    @standing_attributes = { "contact" => {}, "company" => {} }

    class << self
      # Turns the guard on (requests to loopback only) for the rest of the process, or until
      # deactivate!. The framework integrations call it when they are required.
      def activate!
        @lock.synchronize do
          IntercomSync.base_url_guard = method(:check_base_url!)
          unless @at_exit_registered
            @at_exit_registered = true
            at_exit { stop }
          end
        end
        self
      end

      def active?
        IntercomSync.base_url_guard == method(:check_base_url!)
      end

      # Turns the guard off, stops the emulator and forgets the standing attributes (the gem's
      # own specs; an app has no need).
      def deactivate!
        @lock.synchronize do
          IntercomSync.base_url_guard = nil if active?
          stop
          @standing_attributes = { "contact" => {}, "company" => {} }
        end
      end

      # Before each test: the emulator (started on first use), emptied, the gem's caches
      # forgotten, and the configuration pointed at it.
      def setup
        activate!
        use_emulator!
        reset!
      end

      # The process's emulator, started on first use. A forked child gets its own: the parent's
      # accept thread does not exist in the child.
      def emulator
        @lock.synchronize do
          unless @emulator && @emulator_pid == Process.pid
            @emulator = IntercomSync::Emulator.start
            @emulator_pid = Process.pid
            define_standing_attributes
          end
          @emulator
        end
      end

      def started?
        !@emulator.nil? && @emulator_pid == Process.pid
      end

      # Stops this process's emulator (at exit; the next use starts a new one).
      def stop
        @lock.synchronize do
          @emulator.stop if started?
          @emulator = nil
        end
      end

      # Points the configuration at the emulator and turns the sync on. setup does it before each
      # test; call it again in a test that replaced the configuration (reset_configuration!).
      def use_emulator!(config = IntercomSync.configuration)
        config.base_url = emulator.base_url
        config.access_token = emulator.token
        config.enabled = true
        config
      end

      # Empties the emulator (workspace, request log, faults, rate-limit counts) and puts back
      # the settings a test may have changed (rate_limit, search_lag, default_api_version),
      # defines the standing attributes again, and forgets the gem's caches.
      def reset!
        @lock.synchronize do
          emulator.reset!
          emulator.rate_limit = Emulator::DEFAULT_RATE_LIMIT
          emulator.search_lag = 0
          emulator.default_api_version = Emulator::DEFAULT_API_VERSION
          define_standing_attributes
        end
        IntercomSync.clear_caches!(IntercomSync.configuration)
        nil
      end

      # Custom data attributes the workspace has in every test, as the app's real workspace does
      # (for an app with config.unknown_attributes = :raise or :skip, whose attributes are made
      # by `rake intercom_sync:attributes APPLY=1` rather than by the sync):
      #   IntercomSync::Testing.define_attributes(contact: { plan: :string, seats: :integer })
      # Types: string, integer, float, boolean, date. With the default :create, the sync makes
      # what it needs in each test by itself.
      def define_attributes(contact: {}, company: {})
        @lock.synchronize do
          { "contact" => contact, "company" => company }.each do |model, attributes|
            attributes.each do |name, type|
              unless Emulator::Store::DATA_TYPES.include?(type.to_s)
                raise ArgumentError, "#{model} attribute #{name}: type #{type.inspect} is not one of " \
                                     "#{Emulator::Store::DATA_TYPES.join(', ')}"
              end
              @standing_attributes[model][name.to_s] = type.to_s
            end
          end
          define_standing_attributes if started?
        end
        nil
      end

      # ------------------------------------------------------------ what Intercom has

      # Every contact (users and leads) as Hashes with Intercom's field names.
      def contacts
        emulator.contacts.reject { |c| c["archived"] }
      end

      def companies
        emulator.companies
      end

      # Every request the emulator received since the test began: method, path, query, json
      # (the body), status.
      def requests
        emulator.requests
      end

      # The user's contact (a user whose external_id is the user's id; or pass the id), or nil.
      def contact_for(user)
        id = external_id(user)
        contacts.find { |c| c["role"] == "user" && c["external_id"] == id }
      end

      # The app's team ids (Intercom's company_id) of the companies a contact (or a user's
      # contact) is attached to, in attach order.
      def team_ids_of(contact_or_user)
        contact = contact_or_user.is_a?(Hash) ? contact_or_user : contact_for(contact_or_user)
        return [] unless contact

        by_id = companies.to_h { |c| [c["id"], c["company_id"]] }
        emulator.company_ids_of(contact["id"]).map { |id| by_id[id] }
      end

      # The external id the sync gives the user's contact: the user's id (config.user_attributes[:id]).
      def external_id(user, config = IntercomSync.configuration)
        case user
        when String, Integer then user.to_s
        else user.public_send(config.user_attributes.fetch(:id)).to_s
        end
      end

      # The base URL guard: loopback only (127.0.0.0/8, ::1, localhost).
      def check_base_url!(url)
        return if loopback?(url)

        raise RealHostError,
              "intercom_sync test mode refused a request to #{Configuration.shown_url(url)}: tests only talk to the " \
              "test emulator on loopback#{" (#{@emulator.base_url})" if started?}. Something pointed the gem " \
              "elsewhere during the test (config.base_url =, IntercomSync.reset_configuration! reading " \
              "INTERCOM_BASE_URL, Client.new(base_url: ...)); call IntercomSync::Testing.use_emulator! after " \
              "changing the configuration"
      end

      private

      def loopback?(url)
        host = URI.parse(url.to_s).host.to_s.downcase.delete_prefix("[").delete_suffix("]")
        LOOPBACK_NAMES.include?(host) || IPAddr.new(host).loopback?
      rescue URI::InvalidURIError, IPAddr::Error
        false
      end

      def define_standing_attributes
        @standing_attributes.each do |model, attributes|
          defined = @emulator.data_attributes(model).map { |a| a["name"] }
          attributes.each { |name, type| @emulator.define_attribute(model, name, type) unless defined.include?(name) }
        end
      end
    end
  end
end

require_relative "testing/contact_expectation"
require_relative "testing/request_expectation"
