# frozen_string_literal: true

module IntercomSync
  module Tasks
    # rake intercom_sync:attributes: the custom data attributes the app would send that Intercom
    # lacks, for contacts and companies; with APPLY=1 it creates them.
    #
    # What the app sends is read the way a sync reads it (Snapshot.build: the allow-lists or
    # as_json, minus excluded and secret names) from a sample of users and the teams they own,
    # so names computed by a lambda or as_json are found too. A type is inferred from the first
    # value that is not nil, as the sync's core does (Integer: integer, Float: float, true/false:
    # boolean, anything else: string); a name whose values are all nil in the sample is listed
    # without a type and not created (a sync creates it once a value appears).
    class Attributes
      MODELS = { "contact" => "users", "company" => "owned teams" }.freeze

      def initialize(config: IntercomSync.configuration, sample: 100, apply: false, out: $stdout)
        @config = config
        @sample = sample
        @apply = apply
        @out = out
      end

      def run
        Tasks.require_active!(@config)
        users = sample_users
        sent = sent_attributes(users)
        defined = MODELS.keys.to_h { |model| [model, definitions(model)] }
        missing = 0
        MODELS.each_key { |model| missing += report(model, sent[model], defined[model]) }
        @out.puts(closing(missing, users.size))
        0
      rescue IntercomSync::Error => e
        raise UsageError, "intercom_sync:attributes: #{e.class}: #{e.message}"
      end

      private

      def sample_users
        klass = Tasks.user_class(@config)
        if klass.respond_to?(:limit) && klass.respond_to?(:primary_key) && klass.primary_key
          klass.order(klass.primary_key).limit(@sample).to_a
        elsif klass.respond_to?(:all)
          klass.all.first(@sample)
        else
          raise UsageError, "#{klass.name} has no `all` to read a sample of users from"
        end
      end

      # {"contact" => {name => type or nil}, "company" => {...}}, "deleted" included: the sync
      # always sends it.
      def sent_attributes(users)
        sent = { "contact" => {}, "company" => {} }
        @teams_read = 0
        users.each do |user|
          snapshot = Snapshot.build(user, @config)
          note(sent["contact"], snapshot["custom_attributes"])
          Array(snapshot["owned_teams"]).each do |team|
            @teams_read += 1
            note(sent["company"], team.dig("company", "custom_attributes"))
          end
        end
        sent
      end

      def note(names, values)
        (values || {}).each do |name, value|
          names[name] ||= nil
          names[name] ||= type_of(value)
        end
      end

      def type_of(value)
        case value
        when nil then nil
        when Integer then "integer"
        when Float then "float"
        when true, false then "boolean"
        else "string"
        end
      end

      # {name => {"type" =>, "custom" =>}} as Intercom lists them. An answer that is not such a
      # list is a ParseError: read as "none defined", APPLY=1 would create what may exist.
      def definitions(model)
        body = client.get("/data_attributes?model=#{model}").body
        data = body.is_a?(Hash) ? body.fetch("data", []) : nil
        unless data.is_a?(Array) && data.all? { |d| d.is_a?(Hash) && d["name"].is_a?(String) }
          raise IntercomSync::ParseError, "Intercom's GET /data_attributes?model=#{model} answer is not a list of " \
                                          "named attributes; nothing was created"
        end
        data.to_h { |d| [d["name"], { "type" => d["data_type"], "custom" => d["custom"] != false }] }
      end

      # Prints one model's table; returns how many are missing.
      def report(model, sent, defined)
        missing = sent.reject { |name, _| defined.key?(name) }
        standard = sent.keys.select { |name| defined.key?(name) && !defined[name]["custom"] }
        @out.puts("#{model}: #{sent.size} custom attributes sent, #{missing.size} missing in Intercom" \
                  "#{missing.empty? ? '' : ':'}")
        missing.each { |name, type| @out.puts("  #{line(model, name, type)}") }
        standard.each do |name|
          @out.puts("  #{name}: a standard Intercom #{model} field, never sent as a custom attribute " \
                    "(leave it out with config.#{model == 'contact' ? 'user' : 'team'}_custom_attributes_except)")
        end
        missing.size
      end

      def line(model, name, type)
        return "#{name}: no value in the sample, type unknown; not created (a sync creates it once it has a value)" if type.nil?
        return "#{name} (#{type})" unless @apply

        create(model, name, type)
      end

      def create(model, name, type)
        client.post("/data_attributes", { "name" => name, "model" => model, "data_type" => type })
        "#{name} (#{type}): created"
      rescue IntercomSync::HTTPError => e
        raise unless e.http_status == 400 && e.message.include?("already have")

        "#{name} (#{type}): exists already (created since the list was read)"
      end

      def closing(missing, users)
        sample = "(read from #{Progress.count(users, 'user')} and #{Progress.count(@teams_read, 'team')} they own; " \
                 "SAMPLE= reads more)"
        return "Nothing to create: Intercom has every custom attribute the app sends #{sample}." if missing.zero?
        return "Done #{sample}." if @apply

        "Run with APPLY=1 to create them #{sample}."
      end

      def client
        @client ||= IntercomSync.thread_client(@config)
      end
    end
  end
end
