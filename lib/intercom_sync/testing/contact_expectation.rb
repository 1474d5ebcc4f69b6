# frozen_string_literal: true

module IntercomSync
  module Testing
    # Whether Intercom (the test emulator) has the contact a sync of `user` makes, with these
    # attributes and attached to these companies, and, when it has not, what it has instead.
    # Framework-free: the RSpec matcher and the Minitest assertions both read it.
    #
    # attributes: names as Intercom has them: its own fields (email, name, phone, signed_up_at,
    # last_seen_at, ...) and custom attributes, or the app's names for Intercom's fields
    # (phone_number, last_request_at). Values as the app has them: Time, Symbol and BigDecimal
    # are compared as the sync sends them, and 42 matches "42" (the sync writes a number into a
    # text attribute so); or anything that answers === (Regexp, Range, a class, an RSpec
    # matcher). nil matches a field Intercom does not have.
    # companies: the app's team ids (or teams), compared as a set; nil: not checked.
    class ContactExpectation
      # A field the contact does not have.
      ABSENT = Object.new.tap { |o| o.define_singleton_method(:inspect) { "(not set)" } }.freeze
      SUMMARY_FIELDS = %w[id role external_id email name phone signed_up_at last_seen_at].freeze
      MAX_LISTED = 10
      # The sync's names (config.user_attributes keys) for the user's fields Intercom calls
      # otherwise. Not id and created_at: a contact has its own (Intercom's id, and when Intercom
      # made it); the user's are external_id and signed_up_at.
      INTERCOM_FIELDS = { "last_request_at" => "last_seen_at" }.freeze

      Row = Struct.new(:name, :expected, :actual, :match)

      attr_reader :contact

      def self.description(attributes, companies)
        parts = ["have synced an Intercom contact"]
        parts << "with #{attributes.inspect}" unless attributes.nil? || attributes.empty?
        parts << "attached to teams #{Array(companies).inspect}" if companies
        parts.join(" ")
      end

      def initialize(user, attributes: nil, companies: nil)
        @user = user
        @external_id = Testing.external_id(user)
        @attributes = (attributes || {}).to_h { |name, value| [name.to_s, value] }
        @companies = companies&.then { |list| sort_ids(Array(list).map { |team| team_id(team) }) }
        @contact = Testing.contact_for(@external_id)
        @team_ids = @contact ? sort_ids(Testing.team_ids_of(@contact).map(&:to_s)) : []
      end

      def present?
        !@contact.nil?
      end

      def met?
        present? && rows.all?(&:match) && companies_match?
      end

      def failure_message
        present? ? differences : missing
      end

      # For not_to / refute: there should be no such contact.
      def failure_message_when_negated
        "expected Intercom to have no contact for #{label}, but it has one:\n#{summary(@contact)}"
      end


      private

      def label
        @user.is_a?(String) || @user.is_a?(Integer) ? "external_id #{@external_id.inspect}" : "#{@user.class.name} #{@external_id}"
      end

      def rows
        @rows ||= @attributes.map do |name, expected|
          actual = read(name)
          Row.new(name, expected, actual, value_matches?(expected, actual))
        end
      end

      def companies_match?
        @companies.nil? || @companies == @team_ids
      end

      # Intercom's own fields first, then the custom attributes, then the field the app's name
      # stands for (phone_number: phone, last_request_at: last_seen_at; config.user_attributes).
      def read(name)
        return @contact[name] if name != "custom_attributes" && @contact.key?(name)

        custom = @contact["custom_attributes"] || {}
        return custom[name] if custom.key?(name)

        field = intercom_field(name)
        field && @contact.key?(field) ? @contact[field] : ABSENT
      end

      def intercom_field(app_name)
        ours = IntercomSync.configuration.user_attributes.key(app_name.to_sym)&.to_s
        ours && (INTERCOM_FIELDS[ours] || ours)
      end

      def value_matches?(expected, actual)
        actual = nil if actual.equal?(ABSENT)
        return expected === actual if matcher?(expected) # rubocop:disable Style/CaseEquality

        sent = CustomAttributes.scalar(expected)
        return true if sent == actual

        # the sync fits a value to the attribute's type: 42 is "42" in a string attribute
        !sent.nil? && !actual.nil? && (sent.is_a?(String) || actual.is_a?(String)) && sent.to_s == actual.to_s
      end

      def matcher?(value)
        value.respond_to?(:matches?) || [Regexp, Range, Module, Proc].any? { |kind| value.is_a?(kind) }
      end

      def differences
        lines = ["expected Intercom's contact for #{label} to match (- expected, + Intercom has):"]
        rows.each do |row|
          if row.match
            lines << "    #{row.name}: #{row.actual.inspect}"
          else
            lines << "  - #{row.name}: #{shown(row.expected)}" << "  + #{row.name}: #{row.actual.inspect}"
          end
        end
        unless companies_match?
          lines << "  - companies (team ids): #{@companies.inspect}" << "  + companies (team ids): #{@team_ids.inspect}"
        end
        lines << "the contact in Intercom:" << summary(@contact)
        lines.join("\n")
      end

      def missing
        others = Testing.contacts
        lines = ["expected Intercom to have a contact for #{label}, but it has none."]
        lines << if others.empty?
                   "Intercom has no contacts."
                 else
                   "Intercom has #{others.size} contact#{'s' unless others.size == 1}:"
                 end
        others.first(MAX_LISTED).each { |c| lines << "  #{c.slice('role', 'external_id', 'email', 'name').inspect}" }
        lines << "  ..." if others.size > MAX_LISTED
        lines.concat(traffic)
        lines.join("\n")
      end

      # What may explain a missing contact: the sync is off, or its requests failed.
      def traffic
        requests = Testing.requests
        failed = requests.reject { |r| r.status.is_a?(Integer) && r.status < 400 }
        lines = ["Requests to Intercom in this test: #{requests.size}#{"; answered with an error:" unless failed.empty?}"]
        failed.first(MAX_LISTED).each { |r| lines << "  #{RequestExpectation.describe(r)}" }
        reason = IntercomSync.configuration.inactive_reason
        lines << "The sync is off: #{reason}" if reason
        lines
      end

      def summary(contact)
        fields = contact.slice(*SUMMARY_FIELDS)
        fields["custom_attributes"] = contact["custom_attributes"] || {}
        fields["companies (team ids)"] = sort_ids(Testing.team_ids_of(contact).map(&:to_s))
        fields.map { |name, value| "    #{name}: #{value.inspect}" }.join("\n")
      end

      # The expected value as the sync would send it, unless it is a matcher.
      def shown(expected)
        return expected.description if expected.respond_to?(:description) && expected.respond_to?(:matches?)
        return expected.inspect if matcher?(expected)

        CustomAttributes.scalar(expected).inspect
      end

      def team_id(team)
        (team.is_a?(String) || team.is_a?(Integer) ? team : team.public_send(IntercomSync.configuration.team_attributes.fetch(:id))).to_s
      end

      # "9" before "10"
      def sort_ids(ids)
        ids.sort_by { |id| [id.length, id] }
      end
    end
  end
end
