# frozen_string_literal: true

module IntercomSync
  module Tasks
    # A dry run (SyncWithIntercom.plan) as a diff for a person: one line per field that would
    # change, "field: ours -> Intercom's", Intercom's value taken from the contact the dry run
    # read (Result#contact); then the companies to upsert, attach and detach, the data attributes
    # to create and the leads to merge.
    #
    #   Plan for User 42 (a dry run: 2 requests read Intercom, nothing was written)
    #   Contact 6650f0c1, to update (field: ours -> Intercom's):
    #     email: "ann@new.example" -> "ann@example.com"
    #     custom_attributes.plan: "team" -> "pro"
    #     name: (none) -> "Ann Old"  (pulled: Intercom's is saved in the app)
    #   Companies:
    #     attach the company of team 2 (created first)
    #     detach company 6650f0d9 (not the company of any of the user's teams)
    class PlanText
      # The user's fields a sync may pull, and the contact's field each comes from.
      PULLED_FROM = { "name" => "name", "phone" => "phone", "last_request_at" => "last_seen_at" }.freeze
      PLACEHOLDER = /\Acompany-for-team-(.+)\z/

      def initialize(user, result, config: IntercomSync.configuration)
        @user = user
        @result = result
        @config = config
        @contact = result.contact || {}
        @planned = Array(result.planned)
      end

      def to_s
        lines = ["Plan for #{OneUser.label(@user)} (a dry run: #{count(@result.requests.to_i, 'request')} " \
                 "read Intercom, nothing was written)"]
        body = contact_lines + company_lines + attribute_lines + lead_lines + other_lines
        body = ["Nothing to change: Intercom is in step with #{OneUser.label(@user)}."] if body.empty?
        (lines + body + warning_lines).join("\n")
      end

      private

      def contact_lines
        create = step("create contact").first
        update = step("update contact").first
        fields = field_lines(create || update) + pulled_lines + timezone_lines
        return [] if fields.empty?

        head = if create
                 "Contact to create (no contact has this user's external_id or email; field: ours -> Intercom's):"
               else
                 "Contact #{@result.contact_id}, to update (field: ours -> Intercom's):"
               end
        [head, *fields]
      end

      # The fields a create or update would send, each beside the contact's current value.
      def field_lines(write)
        body = write && write["body"] || {}
        body.flat_map do |field, ours|
          next [] if field == "role" && ours == "user" && !@contact.key?("role") # every create says so

          if field == "custom_attributes" && ours.is_a?(Hash)
            theirs = @contact["custom_attributes"] || {}
            ours.map { |name, value| "  custom_attributes.#{name}: #{shown(name, value)} -> #{shown(name, theirs[name])}" }
          else
            ["  #{field}: #{shown(field, ours)} -> #{shown(field, @contact[field])}"]
          end
        end
      end

      # Intercom's values a sync saves in the app (a blank name or phone, a later last_seen_at).
      def pulled_lines
        @result.fields_pulled.filter_map do |field|
          from = PULLED_FROM[field] or next
          ours = read_user(field)
          "  #{field}: #{shown(field, ours)} -> #{shown(from, @contact[from])}  (pulled: Intercom's is saved in the app)"
        end
      end

      def timezone_lines
        theirs = @result.timezone
        return [] unless theirs && Timezone.valid?(theirs)

        ours = read_user("timezone")
        return [] if ours.to_s == theirs

        ["  timezone: #{shown('timezone', ours)} -> #{shown('timezone', theirs)}  (pulled: Intercom's is saved in the app)"]
      end

      def company_lines
        lines = step("upsert owned team company").map do |w|
          name = w.dig("body", "name")
          "  upsert the company of owned team #{w.dig('body', 'company_id')}#{" (name #{name.inspect})" if name}"
        end
        lines += step("upsert member team company").map do |w|
          "  create the company of team #{w.dig('body', 'company_id')} (it has none in Intercom yet)"
        end
        lines += step("attach company").map { |w| "  attach #{company(w.dig('body', 'id'))}" }
        lines += step("detach company").map { |w| "  detach #{company(w['path'].split('/').last)}" }
        lines.empty? ? [] : ["Companies:", *lines]
      end

      def attribute_lines
        creates = step("create data attribute").map do |w|
          "  #{w.dig('body', 'model')} #{w.dig('body', 'name')} (#{w.dig('body', 'data_type')})"
        end
        creates.empty? ? [] : ["Data attributes to create in Intercom:", *creates]
      end

      def lead_lines
        merges = step("merge lead").map { |w| "  lead #{w.dig('body', 'from')} (it has the user's email)" }
        merges.empty? ? [] : ["Leads to merge into the contact:", *merges]
      end

      KNOWN_STEPS = ["create contact", "update contact", "upsert owned team company", "upsert member team company",
                     "attach company", "detach company", "create data attribute", "merge lead"].freeze

      def other_lines
        others = @planned.reject { |w| KNOWN_STEPS.include?(w["step"]) }
        others.empty? ? [] : ["Other writes:", *others.map { |w| "  #{w['step']}: #{w['method']} #{w['path']}" }]
      end

      def warning_lines
        @result.warnings.map { |w| "warning: #{w}" } +
          @result.filtered_attributes.map { |name| "not sent (its name looks like a secret): #{name}" }
      end

      def step(name)
        @planned.select { |w| w["step"] == name }
      end

      # An Intercom company id as the team it stands for, when one of the user's teams has it.
      def company(id)
        return "the company of team #{Regexp.last_match(1)} (created first)" if id.to_s.match(PLACEHOLDER)

        team = teams.find { |t| MetadataColumn.read(t, @config.team_attributes[:metadata])["intercom_company_id"] == id }
        return "company #{id} (not the company of any of the user's teams)" unless team

        "company #{id} (team #{Snapshot.read(team, @config.team_attributes[:id])})"
      end

      def teams
        @teams ||= %i[teams owned_teams].flat_map do |association|
          name = @config.user_attributes.fetch(association, association)
          name && @user.respond_to?(name) ? Array(@user.public_send(name)) : []
        end
      end

      def read_user(field)
        name = @config.user_attributes.fetch(field.to_sym, field.to_sym)
        name && @user.respond_to?(name) ? @user.public_send(name) : nil
      end

      def shown(field, value)
        case value
        when nil, "" then "(none)"
        when Integer then field.to_s.end_with?("_at") ? Time.at(value).utc.strftime("%Y-%m-%d %H:%M:%S UTC") : value.to_s
        when Time then value.utc.strftime("%Y-%m-%d %H:%M:%S UTC")
        when String then value.inspect
        else value.to_s.then { |s| value.is_a?(Numeric) || value == true || value == false ? s : s.inspect }
        end
      end

      def count(number, noun)
        "#{number} #{noun}#{'s' unless number == 1}"
      end
    end
  end
end
